"""Reads of moderation: policy, the queue, cases, metrics. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.models import Membership, Role, Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import analysable_texts as corpus_analysable_texts

from .models import (
    DEFAULT_RULES,
    Action,
    AuditAction,
    AuditEntry,
    CaseStatus,
    Category,
    ModerationCase,
    ModerationPolicy,
)

ACTION_RANK = {Action.ALLOW: 0, Action.QUEUE: 1, Action.HIDE: 2}


@dataclass(frozen=True)
class Rule:
    threshold: int
    action: str


@dataclass(frozen=True)
class PolicySnapshot:
    """A workspace's policy as plain values (the defaults where it has none stored)."""

    rules: dict[str, Rule]
    exclude_pending_from_analysis: bool = True
    use_llm_judge: bool = True

    def action_for(self, scores: dict[str, int]) -> tuple[str, list[str]]:
        """The strictest action any category's severity reaches, and the categories that reached theirs."""
        action, triggered = Action.ALLOW, []
        for category, severity in scores.items():
            rule = self.rules.get(category)
            if rule is None or severity < rule.threshold or rule.action == Action.ALLOW:
                continue
            triggered.append(category)
            if ACTION_RANK[rule.action] > ACTION_RANK[action]:
                action = rule.action
        return str(action), sorted(triggered)

    def could_flag(self, category: str) -> bool:
        rule = self.rules.get(category)
        return rule is not None and rule.action != Action.ALLOW


def default_policy() -> PolicySnapshot:
    return PolicySnapshot(rules={str(c): Rule(t, str(a)) for c, (t, a) in DEFAULT_RULES.items()})


def policy_snapshot(workspace: Workspace) -> PolicySnapshot:
    policy = ModerationPolicy.objects.filter(workspace=workspace).prefetch_related("rules").first()
    if policy is None:
        return default_policy()
    rules = default_policy().rules | {r.category: Rule(r.threshold, r.action) for r in policy.rules.all()}
    return PolicySnapshot(rules=rules, exclude_pending_from_analysis=policy.exclude_pending_from_analysis,
                          use_llm_judge=policy.use_llm_judge)


def analysable_texts(workspace: Workspace) -> QuerySet[CustomerText]:
    """The texts insights and copy grounding may use, by this workspace's moderation policy. Rejected and
    hidden texts never; pending ones only when the workspace turned `exclude_pending_from_analysis` off."""
    policy = policy_snapshot(workspace)
    return corpus_analysable_texts(workspace, include_unreviewed=not policy.exclude_pending_from_analysis)


# --- the queue -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """The queue's filters; also stored (as_params) in a bulk job, which re-applies them chunk by chunk."""

    status: str | None = CaseStatus.PENDING  # None or "" = every status; "open" = screening or pending
    category: str | None = None
    source: str | None = None
    stage: str | None = None
    subject_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    assigned_to: str | None = None  # a user id, "none"
    min_severity: int | None = None
    q: str | None = None

    def apply(self, qs: QuerySet[ModerationCase]) -> QuerySet[ModerationCase]:
        if self.status == "open":
            qs = qs.filter(status__in=[CaseStatus.SCREENING, CaseStatus.PENDING])
        elif self.status:
            qs = qs.filter(status=self.status)
        if self.category:
            qs = qs.filter(categories__contains=[self.category])
        if self.source:
            qs = qs.filter(source=self.source)
        if self.stage:
            qs = qs.filter(stage=self.stage)
        if self.subject_type:
            qs = qs.filter(subject_type=self.subject_type)
        if self.date_from:
            qs = qs.filter(created_at__gte=datetime.combine(self.date_from, time.min, tzinfo=UTC))
        if self.date_to:
            qs = qs.filter(created_at__lte=datetime.combine(self.date_to, time.max, tzinfo=UTC))
        if self.assigned_to == "none":
            qs = qs.filter(assigned_to__isnull=True)
        elif self.assigned_to:
            qs = qs.filter(assigned_to_id=int(self.assigned_to))
        if self.min_severity is not None:
            qs = qs.filter(severity__gte=self.min_severity)
        if self.q:
            qs = qs.filter(text__icontains=self.q)
        return qs

    def as_params(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CaseFilters:
        values = dict(params)
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def cases(workspace: Workspace) -> QuerySet[ModerationCase]:
    return ModerationCase.objects.filter(workspace=workspace)


def queue(workspace: Workspace, filters: CaseFilters) -> QuerySet[ModerationCase]:
    """Most severe first; within a severity, the oldest first (it has waited longest)."""
    return filters.apply(cases(workspace)).select_related("assigned_to", "decided_by").order_by(
        "-severity", "created_at", "id")


def list_cases(workspace: Workspace, filters: CaseFilters, *, limit: int, offset: int
               ) -> tuple[int, list[ModerationCase]]:
    qs = queue(workspace, filters)
    return qs.count(), list(qs[offset:offset + limit])


def get_case(workspace: Workspace, case_id: int) -> ModerationCase | None:
    return cases(workspace).select_related("assigned_to", "decided_by").filter(pk=case_id).first()


def neighbours(workspace: Workspace, case: ModerationCase, filters: CaseFilters) -> tuple[int | None, int | None]:
    """The previous and next case in queue order, for j/k navigation and "decide, then next"."""
    ids = list(queue(workspace, filters).values_list("pk", flat=True)[:5000])
    if case.pk not in ids:
        return None, ids[0] if ids else None
    i = ids.index(case.pk)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def audit_trail(case: ModerationCase) -> list[AuditEntry]:
    return list(case.audit_entries.select_related("actor").order_by("created_at", "id"))


def latest_entry_by(workspace: Workspace, user: AbstractBaseUser | None, *, since: datetime) -> AuditEntry | None:
    """The user's latest audit entry in the workspace since `since`, with its case: the pages offer to undo it
    when it is a decision that can still be undone (services.undo_refusal says)."""
    if user is None or not user.pk:
        return None
    return (AuditEntry.objects.filter(workspace=workspace, actor=user, created_at__gte=since)
            .select_related("case").order_by("-created_at", "-id").first())


def latest_entry(case: ModerationCase) -> AuditEntry | None:
    return case.audit_entries.order_by("-created_at", "-id").first()


def audit_log(workspace: Workspace, *, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(workspace=workspace).select_related("case").order_by(
        "-created_at", "-id")[offset:offset + limit])


def filter_choices(workspace: Workspace) -> dict[str, list]:
    qs = cases(workspace)
    return {
        "source": sorted(v for v in qs.values_list("source", flat=True).distinct() if v),
        "subject_type": sorted(qs.values_list("subject_type", flat=True).distinct()),
        "category": Category.choices,
        "status": [("open", "Open (screening or pending)"), *CaseStatus.choices],
        "moderators": moderators(workspace),
    }


def moderators(workspace: Workspace) -> list[tuple[int, str]]:
    members = Membership.objects.filter(workspace=workspace, role__in=[Role.OWNER, Role.MODERATOR]).select_related(
        "user").order_by("user__username")
    return [(m.user_id, m.user.get_username()) for m in members]


# --- metrics ---------------------------------------------------------------------------------------------


@dataclass
class CategoryAgreement:
    category: str
    decided: int = 0  # cases with this category that a person decided
    agreed: int = 0  # the person's decision matched the automatic one (flag → reject/edit, allow → approve)
    flagged_then_approved: int = 0  # false alarms: raise the threshold?
    allowed_then_rejected: int = 0  # misses: lower it?
    by_severity: dict[int, dict[str, int]] = field(default_factory=dict)  # {severity: {"decided", "rejected"}}

    @property
    def agreement(self) -> float | None:
        return round(self.agreed / self.decided, 3) if self.decided else None


def metrics(workspace: Workspace, *, days: int = 14) -> dict[str, Any]:
    qs = cases(workspace)
    now = timezone.now()
    open_cases = qs.filter(status=CaseStatus.PENDING)
    oldest = open_cases.aggregate(oldest=Min("created_at"))["oldest"]
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_stage = dict(qs.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    since = (now - timedelta(days=days - 1)).date()
    per_day = (AuditEntry.objects.filter(workspace=workspace, created_at__date__gte=since)
               .exclude(action__in=[AuditAction.ASSIGN, AuditAction.UNDO])  # an undo is no new decision
               .annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("id")).order_by("day"))
    counts = {row["day"]: row["n"] for row in per_day}
    decisions_per_day = [{"date": (since + timedelta(days=i)).isoformat(), "decisions": counts.get(since + timedelta(
        days=i), 0)} for i in range(days)]
    total = sum(by_status.values())
    return {
        "queue_size": open_cases.count(),
        "screening": by_status.get(CaseStatus.SCREENING, 0),
        "oldest_pending_age_s": int((now - oldest).total_seconds()) if oldest else None,
        "oldest_pending_at": oldest,
        "by_status": by_status,
        "by_stage": by_stage,
        "llm_share": round(by_stage.get("llm", 0) / total, 4) if total else 0.0,
        "decisions_per_day": decisions_per_day,
        "agreement": [asdict(a) | {"agreement": a.agreement} for a in agreement_by_category(workspace)],
        "unassigned_pending": open_cases.filter(assigned_to__isnull=True).count(),
        "pending_by_category": pending_by_category(workspace),
    }


def pending_by_category(workspace: Workspace) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for cats in cases(workspace).filter(status=CaseStatus.PENDING).values_list("categories", flat=True).iterator():
        for c in cats:
            counts[c] += 1
    return dict(counts)


def agreement_by_category(workspace: Workspace) -> list[CategoryAgreement]:
    """For each category: how often the person who decided a case agreed with the automatic verdict, overall
    and per automatic severity. A category whose flags are mostly approved has its threshold too low."""
    stats = {c: CategoryAgreement(category=str(c)) for c in Category.values}
    decided = (cases(workspace).filter(decision__in=[AuditAction.APPROVE, AuditAction.EDIT, AuditAction.REJECT])
               .filter(~Q(categories=[])).values_list("scores", "auto_action", "decision"))
    for scores, auto_action, decision in decided.iterator():
        auto_flagged = auto_action != Action.ALLOW
        human_flagged = decision in (AuditAction.REJECT, AuditAction.EDIT)
        for category, severity in (scores or {}).items():
            if category not in stats or not severity:
                continue
            s = stats[category]
            s.decided += 1
            s.agreed += auto_flagged == human_flagged
            s.flagged_then_approved += auto_flagged and not human_flagged
            s.allowed_then_rejected += human_flagged and not auto_flagged
            level = s.by_severity.setdefault(int(severity), {"decided": 0, "rejected": 0})
            level["decided"] += 1
            level["rejected"] += human_flagged
    return list(stats.values())
