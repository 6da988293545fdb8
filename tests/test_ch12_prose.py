"""Chapter 12's text against the code: every number its prose quotes is recomputed here (training results and
agreements are printed by the notebook's own cells instead), and the correction, references, sources and terms the
chapter owes are there."""

from __future__ import annotations

import math
import re

import numpy as np
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import interpret, nn

TEXT = chapter_markdown("12")
CODE = "\n".join(chapter_cells("12", "code"))


def chapter_cnn() -> nn.Sequential:
    """The chapter's network, rebuilt from the definition in its code cell."""
    namespace: dict = {"np": np, "nn": nn}
    source = CODE[CODE.index("def digits_cnn") :]
    exec(source[: source.index("\n\n\n")], namespace)
    return namespace["digits_cnn"](np.random.default_rng(0))


def test_title_sources_and_exercises():
    first = " ".join(chapter_cells("12")[0].split())
    assert first.startswith("# 12 · Interpretation")
    for source in (
        "source 000 §6.2 and §7.4",
        "§7.10",
        "source 001 §5 and §6.4",
        "source 002 §5 and §6",
        "source 003 §5 and §6",
        "source 004 §3.4",
    ):
        assert source in first, source
    assert "including the five exercises" in first


def test_the_correction_is_there():
    assert TEXT.count("> **Correction (source 000 §7.10).**") == 1
    callout = TEXT[TEXT.index("> **Correction (source 000 §7.10).**") :][:900]
    assert "激活函数可视化" in callout and "激活可视化" in callout and "feature maps" in callout


def test_every_checklist_item_is_taught():
    for phrase in (
        "黑盒",
        "explainable AI",
        "解释性AI",
        "权重可视化",
        "Activation visualisation",
        "梯度可视化",
        "**LIME**",
        "**SHAP**",
        "Attention weights as an explanation",
        "Jain & Wallace (2019",
        "Wiegreffe & Pinter (2019",
        "attention viewer",
    ):
        assert phrase in TEXT, phrase


def test_the_references_the_chapter_owes():
    for reference in (
        "Simonyan, K., Vedaldi, A., & Zisserman, A. (2014). Deep inside convolutional networks",
        "Smilkov, D., Thorat, N., Kim, B., Viégas, F., & Wattenberg, M. (2017). SmoothGrad",
        "Sundararajan, M., Taly, A., & Yan, Q. (2017). Axiomatic attribution for deep networks. *Proceedings",
        "Zeiler, M. D., & Fergus, R. (2014). Visualizing and understanding convolutional networks. *European",
        "Selvaraju, R. R., Cogswell, M., Das, A., Vedantam, R., Parikh, D., & Batra, D. (2017). Grad-CAM",
        'Ribeiro, M. T., Singh, S., & Guestrin, C. (2016). "Why should I trust you?"',
        "Lundberg, S. M., & Lee, S.-I. (2017). A unified approach to interpreting model predictions",
        "Adebayo, J., Gilmer, J., Muelly, M., Goodfellow, I., Hardt, M., & Kim, B. (2018). Sanity checks",
        "Petsiuk, V., Das, A., & Saenko, K. (2018). RISE",
        "Kokhlikyan, N., Miglani, V.",
        "Jain, S., & Wallace, B. C. (2019). Attention is not explanation.",
        "Wiegreffe, S., & Pinter, Y. (2019). Attention is not not explanation.",
        "Bahdanau, D., Cho, K., & Bengio, Y. (2015). Neural machine translation",
    ):
        assert reference in TEXT, reference
    # every work cited in the text by author and year is in the references
    citations = re.findall(r"([A-Z][a-z]+) (?:et al\.|& [A-Z][a-z]+),? \(?(\d{4})", TEXT)
    assert len(citations) >= 13
    for cited in citations:
        assert re.search(rf"- {cited[0]}, .*?\({cited[1]}\)", TEXT), cited


def test_key_terms_use_the_sources_terms():
    for term in ("| 可解释性, 解释性 |", "| 黑盒 |", "| 可视化 |", "| 权重可视化 |", "| 梯度可视化 |", "| 显著图 |"):
        assert term in TEXT, term
    assert "| 注意力机制 |" in TEXT and "| LIME |" in TEXT and "SHAP, 沙普利值" in TEXT


def test_the_shap_package_is_named_but_not_imported():
    assert "`pip install shap`" in TEXT and "tests of `dlcourse.interpret` check our KernelSHAP" in TEXT
    assert "import shap" not in CODE and "from shap" not in CODE


def test_the_network_as_described():
    model = chapter_cnn()
    assert model.num_parameters() == 5_130
    assert "about five thousand weights" in TEXT
    assert model[0].params["weight"].shape == (16, 1, 3, 3) and "each of the 16 kernels is a 3 × 3 patch" in TEXT
    assert model[3].params["weight"].shape == (32, 16, 3, 3) and "16 × 3 × 3 each" in TEXT
    out = np.zeros((1, 1, 8, 8))
    shapes = []
    for layer in model:
        out = layer(out)
        shapes.append(out.shape[1:])
    assert shapes[4] == (32, 4, 4) and "$K = 32$ maps of 4 × 4" in TEXT
    assert "each of the 32 feature maps to one number" in TEXT
    assert "4 × 4 upsampled" in TEXT and "4 × 4 cells" in TEXT


def test_the_sizes_the_text_quotes_are_those_of_the_code():
    assert "over 300 test digits" in TEXT and "batch = X_test[:300]" in CODE
    assert "for six test digits" in TEXT and "x = X_test[:6]" in CODE
    assert "Averaged over 40 test digits" in TEXT and "X_test[:40]" in CODE
    assert "For 200 test digits" in TEXT and "rows_fit, rows_test = torch.tensor(X_fit[:, 0]), X_test[:200, 0]" in CODE
    assert "Three training seeds" in TEXT and "for seed in range(3):" in CODE
    assert "a sequence of 8 rows (8 pixels each)" in TEXT and "torch.nn.Linear(8, d)" in CODE
    assert "windows of 2 × 2 pixels with stride 1" in TEXT and "window=(1, 2, 2), stride=(1, 1, 1)" in CODE
    squares = (np.arange(8)[:, None] // 2) * 4 + np.arange(8)[None, :] // 2
    assert "here 16 squares of 2 × 2 pixels" in TEXT and "squares = (np.arange(8)[:, None] // 2) * 4" in CODE
    assert len(np.unique(squares)) == 16 and all(np.sum(squares == k) == 4 for k in range(16))
    assert "$\\sigma = 0.25$" in TEXT and interpret.kernel_weights([1.0], 0.25)[0] == np.sqrt(np.exp(-16.0))
    regions = (np.arange(8)[:, None] // 4) * 4 + np.arange(8)[None, :] // 2
    assert "regions = (np.arange(8)[:, None] // 4) * 4" in CODE
    assert len(np.unique(regions)) == 8 and all(np.sum(regions == k) == 8 for k in range(8))
    m = quoted_number(TEXT, r"with \$M = (\d+)\$ regions of 4 × 2 pixels")
    assert m == 8 and quoted_number(TEXT, r"pixels, (\d+) masked images") == 2**m
    assert quoted_number(TEXT, r"With all (\d+) coalitions between the empty and the full one") == 2**m - 2
    assert "exact_at=254" in CODE and "np.array([16, 32, 64, 128, 200, 254])" in CODE


def test_trapezoid_weights_as_described():
    """captum's trapezoid weights: n points 1/(n - 1) apart weighted 1/n, the ends by half: they sum to (n - 1)/n."""
    from captum.attr._utils.approximation_methods import approximation_parameters

    step_sizes, alphas = approximation_parameters("riemann_trapezoid")
    n = 50
    assert math.isclose(sum(step_sizes(n)), (n - 1) / n)
    assert np.allclose(np.diff(alphas(n)), 1 / (n - 1), atol=1e-7)
    assert math.isclose(interpret.quadrature(n)[1].sum(), 1.0)
    assert "its weights sum to $(n-1)/n$, not 1" in TEXT and "ig_trap * 49 / 50" in CODE


def test_exercise_descriptions_match_what_the_checks_do():
    from exercise_runs import check_outputs

    printed = check_outputs("12")
    assert "for 4 networks" in printed["saliency"]
    assert "right Riemann sum" in TEXT and "right Riemann sum" in printed["integrated-gradients"]
    assert "in 6 settings" in printed["occlusion"]
    assert "Ridge(alpha).fit(Z, y, sample_weight" in TEXT and "for 4 fits" in printed["lime-fit"]
    assert "games of three features and also tries two and four" in TEXT
    assert "(M = 2, 3 and 4)" in printed["shapley"]
    assert all(line.startswith("✔") for line in printed.values())
