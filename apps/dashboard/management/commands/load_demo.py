"""First-start demo: a workspace with real-looking customer texts, imported through the normal pipeline."""

from pathlib import Path

from django.core.management.base import BaseCommand

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Role
from apps.accounts.services import ensure_member
from apps.corpus.models import TextImport
from apps.corpus.services import Upload, start_import
from apps.insights.services import start_analysis, update_settings
from apps.replies.services import seed_reply_policy

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo_texts.jsonl"
DEMO_WORKSPACE = "Lumo (demo)"
DEMO_PASSWORD = "murmur-demo"
PRODUCT_CONTEXT = ("Lumo sells the Lumo Lamp, a battery-powered smart desk lamp with adjustable warm/cool light, "
                   "and the Lumo App that controls it over Bluetooth. Customers are students and remote workers "
                   "in the US, Europe and China.")
COMPETITORS = ["BenQ", "Philips Hue", "Xiaomi", "Govee"]
# Customer-service replies: what Lumo's replies may offer, and the FAQ entries they may cite.
DEMO_REPLY_POLICY = {
    "policy": ("Refunds are possible within 30 days of delivery, with the receipt. Lamps damaged in shipping get a "
               "free replacement; the customer sends a photo of the damage to support. The battery drain after "
               "firmware 2.3 is a known bug: firmware 2.3.1 fixes it and is coming as a free update. Never promise a "
               "release date for firmware. Do not offer discounts, vouchers or compensation beyond these rules."),
    "tone": "Warm, direct and human; no corporate phrases. Own mistakes plainly.",
    "sign_off": "— The Lumo team",
    "allowed_promises": ["Refund within 30 days of delivery with the receipt",
                         "Free replacement for a lamp damaged in shipping",
                         "Firmware 2.3.1 with the battery fix is coming as a free update"],
}
DEMO_KNOWLEDGE = [
    ("Battery drain after firmware 2.3", "Firmware 2.3 made the battery drain overnight. Firmware 2.3.1 fixes it and "
     "is coming as a free over-the-air update; until then, turning Bluetooth off at night saves the battery."),
    ("Refunds", "Refunds are possible within 30 days of delivery with the receipt (order confirmation email). "
     "The customer contacts support with the receipt; the lamp goes back in its box."),
    ("Shipping damage", "A lamp damaged in shipping gets a free replacement: send a photo of the damage and of the box "
     "to support. No need to return the damaged lamp."),
    ("Support hours", "Lumo support answers by email and chat Monday to Friday, 9:00-18:00 CET, and in Chinese "
     "09:00-18:00 Beijing time. Messages at weekends are answered on Monday."),
]
DEMO_USERS = {"demo": Role.OWNER, "demo-analyst": Role.ANALYST, "demo-moderator": Role.MODERATOR,
              "demo-viewer": Role.VIEWER}


class Command(BaseCommand):
    help = "Create the demo workspace and users and import the demo texts (once)."

    def handle(self, *args, **options):
        memberships = {name: ensure_member(name, DEMO_WORKSPACE, role, password=DEMO_PASSWORD)
                       for name, role in DEMO_USERS.items()}
        owner = memberships["demo"]
        seed_reply_policy(owner.workspace, DEMO_REPLY_POLICY, DEMO_KNOWLEDGE)  # only what is missing: edits stay
        if TextImport.objects.filter(workspace=owner.workspace, filename=DEMO_FILE.name).exists():
            self.stderr.write("Demo workspace already loaded.")
            return
        # A fifth of the demo customers write in Chinese: the multilingual model puts both languages in one space.
        owner.workspace.embedding_model = "use-multilingual"
        owner.workspace.save(update_fields=["embedding_model"])
        ctx = WorkspaceContext(workspace=owner.workspace, user=owner.user, role=owner.role)
        text_import = start_import(ctx, Upload(filename=DEMO_FILE.name, data=DEMO_FILE.read_bytes(), mapping={}))
        self.stderr.write(f"Demo texts queued for import ({text_import.rows_total} rows, job {text_import.job_id}).")
        update_settings(ctx, product_context=PRODUCT_CONTEXT, competitors=COMPETITORS, frequency="weekly")
        run = start_analysis(ctx, trigger="demo")  # waits for the import (and its moderation) to finish
        self.stderr.write(f"First analysis queued (v{run.version}); it runs once the model server is ready.")
