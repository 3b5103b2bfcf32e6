"""The translated editions: the catalogs' rules (tools/translations.py), the links between editions
(book/_ext/editions.py) and the second build's options (tools/build_book.py)."""

from __future__ import annotations

import pytest

from tools import build_book, translations

TERMS = translations.glossary()


def test_the_glossary_gives_each_terms_renderings():
    assert TERMS["epoch"] == ["迭代周期", "轮次"]
    assert TERMS["minibatch"] == ["小批量"]
    assert len(TERMS) >= 60


def test_a_translation_keeps_math_code_role_targets_and_links():
    english = "The {term}`logit <logit>` $o_j$ of `nn.Linear`, see {doc}`setup` and [d2l](https://d2l.ai)."
    kept = "`nn.Linear` 的{term}`对数几率 <logit>` $o_j$，见 {doc}`setup` 和 [d2l](https://d2l.ai)。"
    assert translations.markup(english) == translations.markup(kept)
    for broken in (
        kept.replace("$o_j$", "$o_i$"),  # the math changed
        kept.replace("`nn.Linear`", "nn.Linear"),  # the code lost its backticks
        kept.replace("<logit>", "<logits>"),  # another term's target
        kept.replace("{doc}`setup`", "setup"),  # a role dropped
        kept.replace("https://d2l.ai", "https://zh.d2l.ai"),  # another address
    ):
        assert translations.markup(english) != translations.markup(broken), broken


def test_a_term_is_written_the_glossarys_way_or_in_english():
    english = "We train for 10 epochs on minibatches of 256."
    assert translations.term_problems(english, "我们以大小为 256 的小批量训练 10 个迭代周期。", TERMS) == []
    assert translations.term_problems(english, "我们以大小为 256 的 minibatch 训练 10 个轮次。", TERMS) == []
    assert translations.term_problems(english, "我们以大小为 256 的小批次训练 10 个迭代周期。", TERMS) == [
        "the glossary term 'minibatch' is written neither 小批量 nor in English"
    ]
    shown = translations.term_problems("a {term}`multilayer perceptron`", "一个{term}`多层感知器 <multilayer perceptron>`", TERMS)
    assert "{term} 'multilayer perceptron' is shown as '多层感知器', not as the glossary's 多层感知机" in shown


def _catalog(tmp_path, pairs):
    path = tmp_path / "zh_CN" / "LC_MESSAGES" / "book" / "page.po"
    path.parent.mkdir(parents=True)
    body = "".join(f'{"#, fuzzy" + chr(10) if fuzzy else ""}msgid "{en}"\nmsgstr "{zh}"\n\n' for en, zh, fuzzy in pairs)
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body, encoding="utf-8")
    return path


def test_counts_and_problems_of_a_catalog(tmp_path):
    catalog = _catalog(
        tmp_path,
        [
            ("See :func:`fit`.", "见 :func:`fit`。", False),  # reST: Sphinx reads the translation as MyST
            ("Not yet translated.", "", False),
            ("The accuracy.", "准确率。", True),
            ("Two $x$.", "两个 $x$。", False),
        ],
    )
    assert translations.page(catalog) == "book/page"
    assert translations.counts(catalog) == {"translated": 2, "outdated": 1, "missing": 1}
    found = translations.problems(catalog, TERMS)
    assert len(found) == 1 and "is reST" in found[0], found


def test_every_translated_message_follows_the_rules():
    catalogs = translations.catalogs("zh_CN")
    assert catalogs, "no catalog under locales/zh_CN"
    found = [problem for catalog in catalogs for problem in translations.problems(catalog, TERMS)]
    assert found == [], "\n".join(found[:20])


def test_no_catalog_holds_the_generated_run_times():
    # book/_ext/run_times.py writes them in each language; a new benchmark record must not outdate a translation.
    for catalog in translations.catalogs("zh_CN"):
        assert not [m.id for m in translations.messages(catalog) if m.id.startswith(("**Run time:**", "Measured by `make bench`"))]


@pytest.fixture
def editions(load_source):
    return load_source("book/_ext/editions.py")


@pytest.mark.parametrize(
    ("language", "pagename", "expected"),
    [
        ("en", "book/intro", "../zh/book/intro.html"),
        ("en", "index", "zh/index.html"),
        ("zh_CN", "notebooks/03_softmax_regression", "../../notebooks/03_softmax_regression.html"),
        ("zh_CN", "search", "../search.html"),
    ],
)
def test_an_editions_link_climbs_to_the_sites_root_and_down_to_the_same_page(editions, language, pagename, expected):
    config = {"en": {"folder": "", "name": "English"}, "zh_CN": {"folder": "zh", "name": "中文"}}
    assert [url for _, _, url in editions.edition_links(config, language, pagename)] == [expected]


def test_an_edition_builds_with_its_language_title_and_captions_and_the_shared_cache(tmp_path):
    import yaml

    options = build_book.derived_config(tmp_path, "zh_CN")
    config = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((tmp_path / "_toc.yml").read_text(encoding="utf-8"))
    assert options[options.index("--path-output") + 1] == str(tmp_path)
    assert config["sphinx"]["config"]["language"] == "zh_CN" and config["title"] == "用 PyTorch 实现分类"
    assert [part["caption"] for part in toc["parts"]] == ["前言", "章节", "附录"]
    assert config["execute"]["cache"] == str(build_book.cache_dir())
    assert all(build_book.ROOT.joinpath(path).is_dir() for path in config["sphinx"]["local_extensions"].values())


def test_a_second_edition_never_executes_a_chapter(tmp_path, monkeypatch):
    # With a cache that lacks the chapters, the edition's build stops before Sphinx runs.
    monkeypatch.setattr(build_book, "cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(RuntimeError, match="is not in the execution cache: the English edition must be built first"):
        build_book.check_executed()
