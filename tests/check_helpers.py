"""What the tests of every chapter's exercise checks share: run a check, read its line, expect its failure."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import (
    CheckFailure,
    ch00,
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
    ch10,
    ch11,
    ch12,
    ch13,
    ch14,
    ch15,
    ch16,
    ch17,
    exercises,
)
from dlcourse.checks.wire import dump_cases, load_calls, serve

#: exercise key -> the check its check cell calls
CHECKS = {
    "00-standardize": ch00.check_standardize,
    "00-pairwise_sq_dists": ch00.check_pairwise_sq_dists,
    "00-one_hot": ch00.check_one_hot,
    "00-isclose": ch00.check_isclose,
    "01-linear": ch01.check_linear,
    "01-sigmoid": ch01.check_sigmoid,
    "01-softmax": ch01.check_softmax,
    "01-mlp": ch01.check_mlp_forward,
    "01-xor": ch01.check_xor_weights,
    "02-sigmoid_backward": ch02.check_sigmoid_backward,
    "02-linear_backward": ch02.check_linear_backward,
    "02-cross_entropy": ch02.check_softmax_cross_entropy,
    "02-numerical_gradient": ch02.check_numerical_gradient,
    "02-mul_backward": ch02.check_mul_backward,
    "03-batches": ch03.check_minibatches,
    "03-epoch": ch03.check_train_epoch,
    "03-evaluate": ch03.check_evaluate,
    "03-xavier": ch03.check_xavier_uniform,
    "03-kaiming": ch03.check_kaiming_normal,
    "04-momentum": ch04.check_sgd_momentum_step,
    "04-rmsprop": ch04.check_rmsprop_step,
    "04-adam": ch04.check_adam_step,
    "04-cosine": ch04.check_cosine_lr,
    "05-output-size": ch05.check_output_size,
    "05-conv2d": ch05.check_conv2d,
    "05-im2col": ch05.check_im2col,
    "05-maxpool": ch05.check_max_pool2d,
    "06-standardize": ch06.check_standardize_train_test,
    "06-pca": ch06.check_pca_svd,
    "06-hflip": ch06.check_random_hflip,
    "06-salt-pepper": ch06.check_salt_and_pepper,
    "06-shift": ch06.check_shift,
    "07-rnn-step": ch07.check_rnn_step,
    "07-rnn-step-backward": ch07.check_rnn_step_backward,
    "07-lstm-cell": ch07.check_lstm_cell,
    "07-bptt": ch07.check_rnn_bptt,
    "07-clip-grad-norm": ch07.check_clip_grad_norm,
    "08-attention": ch08.check_attention,
    "08-split-heads": ch08.check_split_heads,
    "08-merge-heads": ch08.check_merge_heads,
    "08-positional-encoding": ch08.check_positional_encoding,
    "08-layer-norm-backward": ch08.check_layer_norm_backward,
    "09-conv-transpose2d": ch09.check_conv_transpose2d,
    "09-reparameterize": ch09.check_reparameterize,
    "09-gaussian-kl": ch09.check_gaussian_kl,
    "09-corrupt": ch09.check_mask_noise,
    "10-gan-losses": ch10.check_gan_losses,
    "10-d-step": ch10.check_discriminator_gradients,
    "10-frechet-gaussians": ch10.check_frechet_distance,
    "10-batch-norm": ch10.check_batch_norm_train,
    "11-confusion-matrix": ch11.check_confusion_matrix,
    "11-macro-f1": ch11.check_macro_f1,
    "11-roc-auc": ch11.check_roc_auc,
    "11-stratified-kfold": ch11.check_stratified_kfold,
    "11-ece": ch11.check_ece,
    "12-saliency": ch12.check_saliency,
    "12-integrated-gradients": ch12.check_integrated_gradients,
    "12-occlusion": ch12.check_occlusion,
    "12-lime-fit": ch12.check_lime_fit,
    "12-shapley": ch12.check_shapley_values,
    "13-prune-mask": ch13.check_prune_mask,
    "13-quantize-per-channel": ch13.check_quantize_per_channel,
    "13-distillation-loss": ch13.check_distillation_loss,
    "13-psi": ch13.check_psi,
    "14-port-to-torch": ch14.check_port_to_torch,
    "14-port-to-keras": ch14.check_port_to_keras,
    "14-combine-grads": ch14.check_combine_gradients,
    "15-batchnorm-running-stats": ch15.check_update_running_stats,
    "15-global-avg-pool": ch15.check_global_avg_pool,
    "15-fold-batchnorm": ch15.check_fold_batchnorm,
    "16-embedding-backward": ch16.check_embedding_backward,
    "16-bpe-merge": ch16.check_bpe_merge,
    "16-causal-attention": ch16.check_causal_attention,
    "16-top-k": ch16.check_top_k,
    "17-q-sample": ch17.check_q_sample,
    "17-ddpm-step": ch17.check_ddpm_step,
    "17-ddim-step": ch17.check_ddim_step,
    "17-score": ch17.check_score_from_eps,
}
#: the exercises whose answer is a forward/backward pair of functions
PAIRS = {key for key, exercise in exercises().items() if len(exercise.functions) > 1}
KEY_OF = {check: key for key, check in CHECKS.items()}


def printed(check, *args, **kwargs) -> str:
    """What a passing check prints."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        check(*args, **kwargs)
    return buf.getvalue()


def reference_answer_tests(answers: list[tuple], *, examples: int = 5) -> tuple:
    """The two tests every chapter runs over its reference answers ``answers``, a list of (check, answer, name):
    each passes with one line "✔ name: ...", and each passes for any seed of the cases (``examples`` seeds drawn
    by hypothesis). A test module takes them as its own::

        test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = (
            reference_answer_tests(ANSWERS)
        )
    """

    @pytest.mark.parametrize("check, fn, name", answers, ids=[a[2] for a in answers])
    def test_correct_answers_pass_with_one_line(check, fn, name):
        out = printed(check, fn)
        assert out.startswith(f"\u2714 {name}:") and out.count("\n") == 1, out

    @given(st.integers(0, 10_000))
    @scaled_settings(examples)
    def test_correct_answers_pass_for_any_seed(seed):
        for check, fn, _ in answers:
            printed(check, fn, seed=seed)

    return test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed


def graded_message(key: str, answer, folder: Path) -> str:
    """What the grader records for ``answer`` (one function, or a tuple for a forward/backward pair): cases
    written, the calls made by :func:`~dlcourse.checks.wire.serve` and read back, judged."""
    exercise = exercises()[key]
    cases = exercise.cases(0)
    dump_cases(folder / "cases.npz", cases)
    if key in PAIRS:
        namespace = dict(zip(exercise.functions, answer))
    else:
        namespace = {exercise.function: answer}
    serve(folder / "cases.npz", folder / "calls.npz", exercise.function, namespace)
    return exercise.judge(cases, load_calls(folder / "calls.npz")).message


def fails(check, fn, *patterns) -> str:
    """Run the check on ``fn``, expect a CheckFailure whose message contains every pattern; return the message.

    When ``check`` is an exercise's check cell function, the grade book's verdict on the same answer (its calls
    carried as data) must be the same message, character for character."""
    with pytest.raises(CheckFailure) as info:
        check(fn)
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, f"{pattern!r} not in message:\n{message}"
    assert "Traceback" not in message
    if check in KEY_OF and KEY_OF[check] not in PAIRS:
        with tempfile.TemporaryDirectory() as folder:
            assert graded_message(KEY_OF[check], fn, Path(folder)) == message
    return message


def not_implemented(*args, **kwargs):
    """A learner's untouched exercise."""
    raise NotImplementedError()


def returns_none(*args, **kwargs):
    """A learner's function that forgot to return."""
    return None
