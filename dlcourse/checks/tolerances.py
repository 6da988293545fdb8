"""Every tolerance the course uses, in one place.

Pass or fail is decided by cs231n's relative error, elementwise ``|got - expected| / max(|got| + |expected|,
FLOOR)`` (``compare.rel_error``, the measure chapter 02 teaches), against the tolerances below. Messages print
another measure of the same difference, one read at a glance: ``|got - expected| / max(|expected|, FLOOR / 2)``
(``compare.relative_deviation``), which is 1 for an answer twice too large where cs231n's reads 0.33, and words
such as "2x the expected value" or "10% too large". For small errors the printed measure is twice cs231n's, and a
tolerance ``t`` reads as ``2 t`` on it: ``rel_error <= t`` implies ``relative_deviation <= 2t / (1 - t)``, and
``rel_error > t`` implies ``relative_deviation > 2t / (1 + t)`` (near zero, both compare ``|got - expected|`` with
``t * FLOOR``). So messages print the tolerance as ``2 t`` (``compare.shown_tolerance``): a pass line never shows an
error above its tolerance, nor a failure one below, beyond a relative band of width ``t`` that the printed digits
cannot show. Keeping pass or fail on cs231n's measure keeps every bound below as it was derived.

Expected sizes, in float64:

* the same math written two ways (ours against PyTorch): ~1e-15 .. 1e-12, so ``REFERENCE_RTOL = 1e-7`` leaves room
  for reordered sums while still catching any real bug (a wrong formula is off by 1e-2 or more);
* centred finite differences with step ``FD_STEP = 1e-6``: truncation error ~h^2 = 1e-12, round-off
  ~eps/h = 1e-10, so ``FD_RTOL = 1e-5`` is comfortable;
* float32 arithmetic has eps ~1e-7, so comparisons in float32 use ``FLOAT32_RTOL = 1e-4``. A float32 result
  compared with a float64 reference at a tolerance below ``FLOAT32_RTOL`` fails whenever its values differ at all,
  with a message saying so: whether float32 round-off stays within ``REFERENCE_RTOL`` depends on the inputs (a
  sigmoid may pass where a softmax fails), and a check must not judge by chance. So does a float64 result whose
  every value is a float32 number (rounded to float32 and converted back) and which differs from the reference by
  more than ``FLOAT64_ROUNDOFF``: a correct float64 computation is a float32 number at each entry with probability
  2**-29, and differs by ~1e-15 .. 1e-12. A float64 result that fails by errors of the size a short float32
  computation makes (at most ``FLOAT32_GUESS`` of the largest expected magnitude) gets a note that float32 may be
  the cause.

The round-off of a centred difference is absolute, not relative: L = sum(dout * f) is computed with an error of a
few eps times the size of the terms summed into it, so its numerical gradient carries ~eps * S / FD_STEP, whatever
the size of the gradient entry. S is sum|dout * f| when no term cancels; when terms cancel (f = a @ b with
a . b ~ 0, a log-sum-exp minus the largest logit) the output is smaller than its terms, and S is measured by the
terms' own size: sum|x * dL/dx| over the inputs (for a product a . b, exactly sum|a_k b_k|), or max|logit| for a
softmax's log-sum-exp. A gradient entry much smaller than eps * S / FD_STEP (a tiny weight, a nearly saturated
softmax, input ~ target) cannot be checked relatively against finite differences, so those comparisons floor the
denominator of the relative error at ``FD_ROUNDOFF * S / FD_RTOL`` instead of ``FLOOR``: below it they compare
absolutely, to the round-off.
"""

#: relative-error tolerance when comparing float64 results with PyTorch in float64
REFERENCE_RTOL = 1e-7
#: relative-error tolerance for analytic gradients against centred finite differences (float64)
FD_RTOL = 1e-5
#: step of the centred finite differences
FD_STEP = 1e-6
#: relative-error tolerance for float32 computations
FLOAT32_RTOL = 1e-4
#: the largest relative error of a correct float64 computation against PyTorch's (the same math written two ways,
#: ~1e-15 .. 1e-12, with a wide margin); a larger error in a result made of float32 numbers is float32 round-off
FLOAT64_ROUNDOFF = 1e-10
#: a float64 result failing by errors no larger than this, relative to its largest expected magnitude, is told that
#: a float32 intermediate may be the cause: float32's unit round-off (6e-8) accumulated over a few dozen operations
FLOAT32_GUESS = 1e-6
#: the denominator floor in the relative error, so that values near zero compare absolutely
FLOOR = 1e-8
#: round-off of a centred difference per unit of sum|dout * f|: a few eps / FD_STEP (eps = 2.2e-16)
FD_ROUNDOFF = 1e-9
#: random results (initialisers, shufflers) are checked statistically: a sample statistic (mean, standard deviation,
#: a fraction) may differ from its expected value by at most this many of its standard errors. A correct answer then
#: fails with probability about 6e-7 per statistic (the normal tail beyond 5 sigma); a wrong formula (a missing
#: factor of 2 or sqrt(3), the wrong fan) is off by dozens of standard errors at the sample sizes the checks use.
STAT_SIGMAS = 5.0
#: how close a wrong answer must come to a known mistake's output for a check to name that mistake
MISTAKE_RTOL = 1e-6
#: a float input changed by at most this many eps (of its dtype) times its largest magnitude was changed by rounding
#: (a value restored by arithmetic, x[i] += h then x[i] -= h: each such pair is off by at most ~1 eps * (|x| + h));
#: a larger change is a real modification
ROUNDING_EPS = 1000.0
