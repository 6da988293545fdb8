"""Chapter 15's text against the code: numbers quoted in its prose equal the code that runs (training results are
printed by the notebook's own cells), the title cell says what the chapter draws on, and the key terms and
references are there."""

from __future__ import annotations

import math
import re

from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse.models.resnet import ResNet

TEXT = chapter_markdown("15")
CODE = "\n".join(chapter_cells("15", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def test_title_cell_goes_beyond_the_sources():
    title = chapter_cells("15")[0]
    assert title.startswith("# 15 · Modern convolutional networks and transfer learning")
    assert "**Beyond the source articles**" in title and "**Sources**" not in title
    assert "including the three exercises" in re.sub(r"\s+", " ", title)
    assert "> **Correction" not in TEXT  # no source rows, so no corrections


def test_key_terms_use_the_standard_chinese_terms():
    assert "| English | 中文 |" in TEXT
    for term in ("残差网络", "残差块", "批量归一化", "全局平均池化", "迁移学习", "微调", "预训练"):
        assert f"| {term} |" in TEXT or f"{term}，" in TEXT or f"，{term}" in TEXT, term


def test_references_are_there():
    for reference in (
        "Deep residual learning for image recognition. *Proceedings of the IEEE Conference on Computer Vision and "
        "Pattern Recognition (CVPR)*",
        "Identity mappings in deep residual networks. *European Conference on Computer Vision (ECCV)*",
        "Ioffe, S., & Szegedy, C. (2015)",
        "Lin, M., Chen, Q., & Yan, S. (2014). Network in network.",
        "Yosinski, J., Clune, J., Bengio, Y., & Lipson, H. (2014). How transferable are features in deep neural "
        "networks?",
    ):
        assert reference in TEXT, reference


def test_uniform_guess_loss():
    assert quoted_number(TEXT, r"\\ln 10 \\approx " + NUMBER) == round(math.log(10), 2)


def test_training_budgets_quoted_are_the_code():
    assert "the same sixty mini-batches of 64 digits" in TEXT and "for _ in range(60):" in CODE
    assert "choice(len(y_train), 64, replace=False)" in CODE
    steps = quoted_number(TEXT, r"the run below has " + NUMBER + " steps")
    assert f"steps={int(steps)}, lr=0.01, batch_size=64" in CODE
    assert "SGD with momentum 0.9" in TEXT and "momentum=0.9" in CODE


def test_resnet_shapes_quoted_are_the_code():
    assert "widths 16 and 32 with one block per stage" in TEXT and "resnet.ResNet(widths=(16, 32), blocks=1" in CODE
    assert "(widths 8 and 16, one block per stage)" in TEXT and "widths=(8, 16), batch_norm=" in CODE
    model = ResNet(widths=(16, 32), rng=0)
    # 8 x 8 maps in the first stage and 4 x 4 in the second, as the text says
    x = model._modules["stem"](__import__("numpy").zeros((1, 1, 8, 8)))
    assert model._modules["layer1"](x).shape[2:] == (8, 8)
    assert model._modules["layer2"](model._modules["layer1"](x)).shape[2:] == (4, 4)
    assert '"our digits ResNet": (32, 4, 4, 10)' in CODE


def test_resnet18_head_numbers():
    assert "(512 maps of 7 × 7, 1000 classes)" in TEXT and '"ResNet-18 on ImageNet": (512, 7, 7, 1000)' in CODE


def test_transfer_setting_quoted_is_the_code():
    assert "$k$ = 1, 5, 20, or all of them" in TEXT and "ks = [1, 5, 20, None]" in CODE
    assert "three seeds" in TEXT and "seeds = (0, 1, 2)" in CODE
    assert "(sixteen pooled features)" in TEXT and "widths=(8, 16), rng=seed" in CODE
    assert "digits 0-4" in TEXT and "range(5)" in CODE and "range(5, 10)" in CODE


def test_stack_of_eight_blocks():
    assert "A stack of eight blocks" in TEXT and "resnet.ResNet(widths=(16,), blocks=8" in CODE
