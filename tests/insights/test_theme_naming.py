"""Theme labels are checked against their members: words the texts use, an embedding nearest their own
theme, no prompt wording; a refused label is asked for once more, then the keywords name the theme.
The corpus is unrelated to the demo (no lamps): coffee machines, bicycles, hotels."""

import numpy as np
import pytest

from apps.embeddings.backends import get_backend
from apps.insights import theme_naming as tn
from apps.llm.gateway import get_gateway
from tests.fakes import AnalysisScript, Asked

COFFEE = ["The descaling program takes forty minutes and beeps the whole time",
          "Descaling light comes on every two weeks with filtered water",
          "After descaling the espresso tasted of vinegar", "Limescale clogged the coffee machine outlet",
          "The descale cycle cannot be cancelled once it starts", "Descaling tablets leave white flakes in the tank"]
BIKE = ["The gears skip under load when I climb", "Rear derailleur was bent so the chain jumps gears",
        "Shifting gears is stiff and the chain drops", "Gears slip in cold weather, maybe the cable",
        "Grinding noise in every gear after rain", "The chain falls off when I shift gears quickly"]
HOTEL = ["Hotel breakfast ran out of eggs by eight", "The hotel breakfast buffet had fresh pastries",
         "Breakfast at this hotel ends far too early", "Cold scrambled eggs at the hotel breakfast",
         "The breakfast room of the hotel is tiny, we queued", "Hotel charged us for breakfast twice"]


def embed(texts: list[str]) -> np.ndarray:
    return get_backend("minilm-l6").encode(texts)


def facts(*groups: list[str]) -> list[tn.ThemeFacts]:
    from apps.insights.clustering import class_tfidf_keywords

    texts = [t for g in groups for t in g]
    labels = np.array([i for i, g in enumerate(groups) for _ in g])
    keywords = class_tfidf_keywords(texts, labels)
    result = []
    for i, group in enumerate(groups):
        centroid = embed(group).mean(axis=0)
        result.append(tn.ThemeFacts(keywords=keywords[i], centroid=centroid / np.linalg.norm(centroid),
                                    texts=group, quotes=[{"id": 100 * i + j, "text": t} for j, t in enumerate(group)]))
    return result


def problem(label: str, index: int, themes) -> str | None:
    return tn.label_problem(label, index, themes, embed([label])[0])


def test_a_label_made_of_its_members_words_passes():
    themes = facts(COFFEE, BIKE, HOTEL)
    assert problem("Descaling program and tablets", 0, themes) is None
    assert problem("Gears skip and slip", 1, themes) is None
    assert problem("Hotel breakfast", 2, themes) is None


def test_words_the_members_never_use_are_refused():
    themes = facts(COFFEE, BIKE, HOTEL)
    reason = problem("Descaling and warranty refunds", 0, themes)
    assert reason is not None and "warranty" in reason and "refunds" in reason
    assert "occur in none" in problem("Battery drain after update", 0, themes)


def test_another_themes_label_is_refused():
    themes = facts(COFFEE, BIKE, HOTEL)
    assert problem("Hotel breakfast", 0, themes) is not None
    assert problem("Gears skip and slip", 2, themes) is not None


def test_a_label_nearer_another_centroid_is_refused_even_with_grounded_words():
    # The same words occur in two themes: only the embedding tells them apart.
    a = tn.ThemeFacts(keywords=["eggs"], centroid=np.array([1, 0], dtype=np.float32), texts=["eggs and toast"])
    b = tn.ThemeFacts(keywords=["toast"], centroid=np.array([0, 1], dtype=np.float32), texts=["toast and eggs"])
    c = tn.ThemeFacts(keywords=["coffee"], centroid=np.array([-1, 0], dtype=np.float32), texts=["cold coffee"])
    vector = np.array([0.2, 0.98], dtype=np.float32)
    assert "fits another theme" in tn.label_problem("eggs toast", 0, [a, b, c], vector)
    assert tn.label_problem("eggs toast", 1, [a, b, c], vector) is None


def test_a_label_made_only_of_words_every_theme_uses_is_refused():
    # The product's name is in every theme: "Lumo" names none of them; "Lumo eggs" sets one apart.
    themes = [tn.ThemeFacts(keywords=[k], centroid=np.array(v, dtype=np.float32), texts=[f"my Lumo {k} again"])
              for k, v in (("eggs", [1, 0]), ("toast", [0, 1]), ("coffee", [-1, 0]))]
    vector = np.array([1, 0], dtype=np.float32)
    assert "most themes' texts use these words as often as this one's (lumo)" in \
        tn.label_problem("Our Lumo Experience", 0, themes, vector)
    assert tn.label_problem("Lumo eggs", 0, themes, vector) is None


def test_a_word_most_themes_use_is_refused_even_when_one_theme_lacks_it():
    # The demo's case: the Chinese theme never writes "Lumo", the other three all do, as often as each other.
    def theme(texts, v):
        return tn.ThemeFacts(keywords=[], centroid=np.array(v, dtype=np.float32), texts=texts)

    themes = [theme(["my Lumo eggs", "eggs again"], [1, 0]), theme(["Lumo toast", "toast"], [0, 1]),
              theme(["Lumo coffee", "coffee"], [-1, 0]), theme(["灯很好", "灯不错"], [0, -1])]
    assert tn.corpus_wide_terms("Lumo Experience", 0, themes) == ["lumo"]
    # Three themes of five use it: not most of them, so it may name the theme it is in.
    themes.append(theme(["tea", "more tea"], [0.7, 0.7]))
    assert tn.corpus_wide_terms("Lumo Experience", 0, themes) == []


def test_a_word_most_themes_use_still_names_the_theme_that_uses_it_far_more():
    def theme(texts, v):
        return tn.ThemeFacts(keywords=[], centroid=np.array(v, dtype=np.float32), texts=texts)

    battery = theme(["battery drains", "battery dead", "battery gone", "battery low"], [1, 0])
    others = [theme(["light ok", "battery fine", "nice light", "warm light"], [0, 1]),
              theme(["app crash", "app slow", "app battery", "app sync"], [-1, 0])]
    assert tn.corpus_wide_terms("Battery", 0, [battery, *others]) == []  # 4/4 of its texts against 2/8
    assert tn.corpus_wide_terms("Battery", 1, [battery, *others]) == ["battery"]  # 1/4 against 5/8
    assert tn.label_problem("Battery", 0, [battery, *others], np.array([1, 0], dtype=np.float32)) is None


def test_prompt_wording_and_filler_are_refused():
    themes = facts(COFFEE, BIKE, HOTEL)
    assert "instructions" in problem("Nearest other themes keywords", 0, themes)
    assert "instructions" in problem("what sets them apart", 0, themes)
    assert "nothing specific" in problem("Customer feedback issues", 0, themes)
    assert "too long" in problem("The descaling program of the machine takes a very long time", 0, themes)
    # The old prompt's example is prompt text for the harness, which checks every version of the prompt.
    assert tn.copies_prompt("Battery drain after update", tn_all_prompts())
    assert not tn.copies_prompt("Descaling program and tablets", tn_all_prompts())


def tn_all_prompts():
    return (("insights/theme", 1), ("insights/theme", 2), ("insights/theme_label", 1))


def test_chinese_labels_are_checked_by_character_bigrams():
    zh = tn.ThemeFacts(keywords=["除垢"], centroid=np.array([1.0, 0.0]),
                       texts=["咖啡机每两周就提示除垢", "除垢程序要四十分钟"])
    assert tn.missing_terms("咖啡机除垢", zh) == []  # "机除" spans two words: half the bigrams suffice
    assert tn.missing_terms("航班行李丢失", zh) != []


def test_model_labels_are_tidied_into_a_readers_words():
    assert tn._clean("bike_issues") == "Bike issues" and tn._clean(" login  issues. ") == "Login issues"
    assert tn._clean("电池续航") == "电池续航" and tn._clean("iPhone pairing") == "iPhone pairing"


def test_summaries_keep_only_complete_sentences():
    assert tn.complete_sentences("Customers like the pastries. They also say the") == "Customers like the pastries."
    assert tn.complete_sentences("Breakfast ends too early!") == "Breakfast ends too early!"
    assert tn.complete_sentences("Version 2.5 of the machine is") == ""
    assert tn.complete_sentences("早餐很丰富。但是咖啡") == "早餐很丰富。"
    assert tn.complete_sentences('They call it "a rip-off." And the') == 'They call it "a rip-off."'


def test_keyword_labels_pass_the_checks():
    themes = facts(COFFEE, BIKE, HOTEL)
    for i in range(3):
        label = tn.keyword_label(i, themes, embed, set())
        assert " · " in label or label in themes[i].keywords
        assert tn.grounded(label, i, themes, embed), label


def test_a_repeated_name_gets_a_keyword_its_own_texts_use():
    themes = facts(COFFEE, BIKE, HOTEL)
    named = [tn.NamedTheme("Machine trouble", tn.LLM), tn.NamedTheme("Machine trouble", tn.LLM),
             tn.NamedTheme("Hotel breakfast", tn.LLM)]
    tn.make_unique(named, themes, [0, 1, 2], embed)
    assert named[0].label == "Machine trouble" and named[1].label.startswith("Machine trouble (")
    keyword = named[1].label.removeprefix("Machine trouble (").removesuffix(")")
    assert sum(keyword in t.lower() for t in BIKE) >= 2 and keyword not in themes[0].keywords
    assert len({n.label.lower() for n in named}) == 3


class LabelModel:
    """A model script: the theme prompt gets `first(theme_index)`, the label retry gets `second(...)`."""

    serves = ("insights/theme", "insights/theme_label")
    usage = (10, 5)

    def __init__(self, first, second):
        self.first, self.second, self.prompts = first, second, []

    def answer(self, asked: Asked) -> dict:
        user = asked.user
        self.prompts.append(user)
        index = int(user.split('"id": ')[1].split(",")[0]) // 100  # quotes of theme i have ids 100*i + j
        if asked.prompt == "insights/theme_label":
            return {"label": self.second(index)}
        return {"label": self.first(index), "summary": "Customers describe it. They also", "pain_points": [],
                "feature_requests": [], "praise": []}


GOOD = ["Descaling program and tablets", "Gears skip and slip", "Hotel breakfast"]


@pytest.mark.django_db
def test_prompt_words_are_refused_twice_then_the_keywords_name_the_theme(fake_llm):
    themes = facts(COFFEE, BIKE, HOTEL)
    model = fake_llm.use(LabelModel(lambda i: "nearest other themes", lambda i: "name of 2 to 6 words"))
    named, calls = tn.name_themes(themes, ["Nearest other themes"] * 3, embed, gateway=get_gateway())
    assert calls == 3 and [n.source for n in named] == [tn.KEYWORDS] * 3
    assert all(tn.grounded(n.label, i, themes, embed) for i, n in enumerate(named))
    assert all(not tn.copies_prompt(n.label) for n in named)
    assert all(len(n.rejected) == 2 for n in named)
    retry = model.prompts[0]
    assert "Nearest other themes" in retry and "instructions" in retry  # the model is told what failed
    assert "theme labels: 0 named by the model, 0 on a second try, 3 from keywords (fallbacks: 3)" in (
        tn.naming_notes(named))


@pytest.mark.django_db
def test_another_themes_label_is_asked_again_and_a_good_retry_is_kept(fake_llm):
    themes = facts(COFFEE, BIKE, HOTEL)
    fake_llm.use(LabelModel(lambda i: "Hotel breakfast", lambda i: GOOD[i]))
    named, calls = tn.name_themes(themes, ["Hotel breakfast"] * 3, embed, gateway=get_gateway())
    assert [n.source for n in named] == [tn.LLM_RETRY, tn.LLM_RETRY, tn.LLM]
    assert [n.label for n in named] == GOOD and calls == 2


def test_neighbours_are_the_nearest_other_themes():
    themes = facts(COFFEE, BIKE, HOTEL)
    request = tn.theme_request(0, themes, "")
    neighbours = request.variables["neighbour_keywords"]
    assert len(neighbours) == 2 and themes[0].keywords[:5] not in neighbours
    assert request.prompt == "insights/theme" and request.version == 2


class CopyingModel:
    """Names every theme with the old prompt's example, answers a retry with the new prompt's words, and
    cuts its summaries mid-sentence: the worst a small model did. (The report: AnalysisScript.)"""

    serves = ("insights/theme", "insights/theme_label")
    usage = (10, 5)

    def answer(self, asked: Asked) -> dict:
        if asked.prompt == "insights/theme_label":
            return {"label": "a name of 2 to 6 words"}
        return {"label": "Battery drain after update", "summary": "Customers describe the problem. They also",
                "pain_points": [], "feature_requests": [], "praise": []}


def test_no_label_of_an_analysis_repeats_prompt_text(owner, fake_llm):
    from apps.insights import services
    from apps.insights.models import Theme
    from tests.conftest import import_now

    lines = ["text,rating,date", *(f'"{t}",3,2026-10-{1 + i % 28:02d}' for i, t in enumerate(COFFEE + BIKE + HOTEL))]
    import_now(owner, "r.csv", ("\n".join(lines) + "\n").encode())
    fake_llm.use(AnalysisScript(), CopyingModel())
    run = services.start_analysis(owner.ctx)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    labels = list(run.snapshots.values_list("label", flat=True))
    assert len(labels) >= 2 and len(set(labels)) == len(labels)
    assert not any(tn.copies_prompt(label, tn_all_prompts()) for label in labels), labels
    fallbacks = f"{len(labels)} from keywords (fallbacks: {len(labels)})"
    assert any(note.startswith("theme labels:") and fallbacks in note for note in run.notes), run.notes
    for theme in Theme.objects.filter(workspace=owner.workspace, parent__isnull=True):
        assert theme.summary == "Customers describe the problem."


def test_a_label_that_only_names_the_product_is_refused():
    """"Our Lumo Experience" passed every other check in the demo: its theme's texts use "Lumo" more than the
    rest do. The workspace's product description names Lumo, so the label says nothing about the theme."""
    names = tn.product_names("Brewly sells the Brewly One, an espresso machine, and the Brewly App. Customers "
                             "are cafes in Europe.")
    assert {"brewly", "app"} <= names and "espresso" not in names and "customers" not in names
    themes = facts([f"{t} (my Brewly)" for t in COFFEE], [f"{t}, Brewly" for t in BIKE], HOTEL)
    vector = embed(["Our Brewly Experience"])[0]
    assert "only names the product" in tn.label_problem("Our Brewly Experience", 0, themes, vector, names)
    assert tn.label_problem("Our Brewly Experience", 0, themes, vector) is None  # no product description
    descaling = embed(["Brewly descaling"])[0]
    assert tn.label_problem("Brewly descaling", 0, themes, descaling, names) is None


def test_a_name_most_themes_never_use_is_a_subject_not_the_product():
    """The demo's product description names Bluetooth; "Bluetooth issues" names what one theme is about."""
    names = tn.product_names("Brewly sells the Brewly One and its Descaler Kit. Customers are cafes.")
    themes = facts([f"{t} with the Descaler" for t in COFFEE], BIKE, HOTEL)
    assert "descaler" in names
    assert tn.names_only_the_product("Descaler issues", names, themes) == []
