"""First-start demo: a workspace with real-looking customer texts, imported through the normal pipeline."""

from pathlib import Path

from django.core.management.base import BaseCommand

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Role
from apps.accounts.services import ensure_member
from apps.corpus.models import TextImport
from apps.corpus.services import Upload, start_import
from apps.insights.services import start_analysis, update_settings

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo_texts.jsonl"
DEMO_WORKSPACE = "Lumo (demo)"
DEMO_PASSWORD = "murmur-demo"
PRODUCT_CONTEXT = ("Lumo sells the Lumo Lamp, a battery-powered smart desk lamp with adjustable warm/cool light, "
                   "and the Lumo App that controls it over Bluetooth. Customers are students and remote workers "
                   "in the US, Europe and China.")
COMPETITORS = ["BenQ", "Philips Hue", "Xiaomi", "Govee"]
DEMO_USERS = {"demo": Role.OWNER, "demo-analyst": Role.ANALYST, "demo-moderator": Role.MODERATOR,
              "demo-viewer": Role.VIEWER}


class Command(BaseCommand):
    help = "Create the demo workspace and users and import the demo texts (once)."

    def handle(self, *args, **options):
        memberships = {name: ensure_member(name, DEMO_WORKSPACE, role, password=DEMO_PASSWORD)
                       for name, role in DEMO_USERS.items()}
        owner = memberships["demo"]
        if TextImport.objects.filter(workspace=owner.workspace, filename=DEMO_FILE.name).exists():
            self.stderr.write("Demo workspace already loaded.")
            return
        ctx = WorkspaceContext(workspace=owner.workspace, user=owner.user, role=owner.role)
        text_import = start_import(ctx, Upload(filename=DEMO_FILE.name, data=DEMO_FILE.read_bytes(), mapping={}))
        self.stderr.write(f"Demo texts queued for import ({text_import.rows_total} rows, job {text_import.job_id}).")
        update_settings(ctx, product_context=PRODUCT_CONTEXT, competitors=COMPETITORS, frequency="weekly")
        run = start_analysis(ctx, trigger="demo")  # waits for the import (and its moderation) to finish
        self.stderr.write(f"First analysis queued (v{run.version}); it runs once the model server is ready.")
