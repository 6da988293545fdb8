"""Every tolerance the course uses, in one place.

Relative error is cs231n's measure, elementwise ``|a - b| / max(|a| + |b|, FLOOR)``, reported at its worst index.
Expected sizes, in float64:

* the same math written two ways (ours against PyTorch): ~1e-15 .. 1e-12, so ``REFERENCE_RTOL = 1e-7`` leaves room
  for reordered sums while still catching any real bug (a wrong formula is off by 1e-2 or more);
* centred finite differences with step ``FD_STEP = 1e-6``: truncation error ~h^2 = 1e-12, round-off
  ~eps/h = 1e-10, so ``FD_RTOL = 1e-5`` is comfortable;
* float32 arithmetic has eps ~1e-7, so comparisons in float32 use ``FLOAT32_RTOL = 1e-4``.

The round-off of a centred difference is absolute, not relative: each output f_j carries ~eps * |f_j|, so the
numerical gradient of L = sum(dout * f) carries ~eps * sum|dout * f| / FD_STEP, whatever the size of the gradient
entry. A gradient entry much smaller than that (a tiny weight, a nearly saturated softmax, input ~ target) cannot be
checked relatively against finite differences, so those comparisons floor the denominator of the relative error at
``FD_ROUNDOFF * sum|dout * f| / FD_RTOL`` instead of ``FLOOR``: below it they compare absolutely, to the round-off.
"""

#: relative-error tolerance when comparing float64 results with PyTorch in float64
REFERENCE_RTOL = 1e-7
#: relative-error tolerance for analytic gradients against centred finite differences (float64)
FD_RTOL = 1e-5
#: step of the centred finite differences
FD_STEP = 1e-6
#: relative-error tolerance for float32 computations
FLOAT32_RTOL = 1e-4
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
