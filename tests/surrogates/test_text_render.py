"""TextExplanation.to_shap, render (terminal) and to_html."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from surrogates import explain_text

CORPUS = ["a wonderful film", "terrible plot, awful acting", "great story", "boring and slow"] * 2
LABEL = [1, 0, 1, 0] * 2
TEXTS = ["  A great film, but awful acting!", "slow story"]


@pytest.fixture(scope="module")
def expl():
    clf = make_pipeline(CountVectorizer(), LogisticRegression()).fit(CORPUS, LABEL)
    return explain_text(clf.predict_proba, TEXTS, output_names=clf.classes_)


def test_spans_point_at_the_tokens(expl):
    for text, toks, spans in zip(expl.texts, expl.tokens, expl.spans):
        assert [text[a:b] for a, b in spans] == list(toks)


def test_to_shap_matches_shap_text_explainer_layout(expl):
    shap = pytest.importorskip("shap")
    s = expl.to_shap()
    assert isinstance(s, shap.Explanation)
    for i, text in enumerate(TEXTS):
        np.testing.assert_array_equal(s.values[i], expl.values[i])
        assert "".join(s.data[i]) == text  # shap's text plots join the pieces
        assert s.feature_names[i] == list(expl.tokens[i])
    assert s.data[0][0] == "  A " and s.data[0][-1] == "!"
    np.testing.assert_array_equal(s.base_values, expl.base_values)
    assert list(s.output_names) == ["0", "1"]
    # shap's own slicing and text plot accept it
    one = s[0, :, 1]
    np.testing.assert_array_equal(one.values, expl.values[0][:, 1])
    out = shap.plots.text(s[0, :, 1], display=False)
    assert "great" in out and "acting" in out


def test_render_plain_unless_asked(expl, capsys):
    plain = expl.render()  # pytest's stdout is not a terminal
    assert "\x1b[" not in plain
    assert "great[+" in plain and "awful[-" in plain
    coloured = expl.render(color=True)
    assert "\x1b[48;2;" in coloured
    assert expl.render(output="0", color=False).count("great[-") == 1


def test_to_html_writes_a_page(expl, tmp_path):
    path = tmp_path / "t.html"
    frag = expl.to_html()
    assert frag.count("class='tok'") == sum(len(t) for t in expl.tokens)
    expl.to_html(path=path)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "title='great: +" in page
    assert expl._repr_html_() == frag
