"""Issue #16, the import history, in a real browser: a file uploaded on the dashboard is listed on the Imports page
with its name, uploader and counts (new, already present, skipped); "Undo this import" asks first, then removes the
texts it created, and the row says so; a text it found already present stays."""

import time

import pytest

from apps.accounts.services import ensure_member
from apps.corpus.models import CustomerText, content_hash
from tests.factories import customer_text, member
from tests.moderation.helpers import without_judge

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "history-pass-123"
EARLIER = "The lamp arrived with a scratched base"
NEW = ["The dimmer buzzes at the lowest setting", "Setup took two minutes, very easy",
       "The cable is too short for my bedside table"]
FILE = "text,rating\n" + "".join(f'"{t}",{r}\n' for t, r in zip([*NEW, EARLIER], [2, 5, 3, 2])) + '"Too bright",abc\n'


@pytest.fixture
def owner(db):
    ensure_member("history-owner", "History Co", "owner", password=PASSWORD)
    owner = member("owner", "History Co", "history-owner")
    without_judge(owner.workspace)  # the import's moderation settles without a model server
    earlier = customer_text(owner.workspace, EARLIER)  # imported before: the file's copy is "already present"
    CustomerText.objects.filter(pk=earlier.pk).update(  # the identity an import gives it
        content_hash=content_hash(owner.workspace.pk, EARLIER, "", None, ""))
    return owner


def test_upload_see_it_in_the_history_and_undo_it(person, celery_worker, owner, tmp_path):
    page = person.page
    person.login("history-owner", PASSWORD)
    upload = tmp_path / "october-reviews.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.check("#upload-skip-invalid")
    page.set_input_files("#upload-file", str(upload))
    page.wait_for_selector("#upload-result .job[data-status=succeeded]", timeout=180_000)
    assert "Imported 3 new texts (1 already present)" in page.inner_text("#upload-result")

    page.click("#import-history-link")
    page.wait_for_url("**/imports/")
    row = page.locator("#import-history tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "october-reviews.csv" and cells[2] == "history-owner", cells
    assert cells[3:7] == ["4", "3", "1", "1"], cells  # rows, new texts, already present, skipped
    assert page.locator("#import-history tbody tr").count() == 1
    person.shot("1-import-history")

    # Undo is offered once the import's jobs (embedding, moderation) are done.
    deadline = time.monotonic() + 180
    while not row.locator("a", has_text="Undo this import").count() and time.monotonic() < deadline:
        time.sleep(2)
        page.reload()
    assert row.locator("td").nth(7).inner_text().startswith("Imported"), row.inner_text()
    row.locator("a", has_text="Undo this import").click()
    page.wait_for_url("**/imports/*/undo/")
    assert page.inner_text("h1") == "Undo the import of october-reviews.csv?"
    assert "removes the 3 texts the import created" in page.inner_text("main")
    assert "The 1 row it found already imported stay" in page.inner_text("main")
    person.shot("2-undo-confirm")

    page.click("button:has-text('Yes, undo this import')")
    page.wait_for_url("**/imports/")
    assert ("Undone: 3 texts of october-reviews.csv removed, with everything derived from them."
            in page.inner_text(".messages"))
    status = page.locator("#import-history tbody tr").first.locator("td").nth(7).inner_text()
    assert status.startswith("Undone") and "(3 texts removed)" in status, status
    assert not page.locator("#import-history a", has_text="Undo this import").count()
    person.shot("3-undone")

    page.click("nav >> text=Texts")
    page.wait_for_url("**/texts/")
    listed = page.inner_text("ul.texts")
    assert EARLIER in listed and not any(text in listed for text in NEW), listed
    assert not CustomerText.objects.filter(workspace=owner.workspace, text__in=NEW).exists()
    person.shot("4-texts-after-undo")
