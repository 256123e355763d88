"""Rule set versions as the service uses them: stored in a RuleSetStore,
compiled and held in memory for the active version of each rule set.

Route reads `active(name)`: a dict lookup, no I/O. Publishing validates and
tests first; activation compiles before it records, so a version that cannot
run is never made active, and the store refuses it while an experiment holds
the rule set (one atomic check, whoever activates). A retired compiled
version is freed by reference counting once the last request using it is done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import rules
from rules import CheckResult, CompiledRuleSet, RulesError, RuleSetDiff, RuleSetInvalid
from rules.explain import Explanation, explain
from rules.memo import MEMO_SIZE, MemoStats
from rules.parse import MAX_SOURCE_BYTES, NAME
from rules.trial import Trial, try_order
from service.app.clock import Clock
from service.app.notifications import SILENT, Notifier, activation_event
from service.app.reviews import ReviewState, require_approved, review_state
from service.errors import FailedPrecondition, InvalidArgument, NotFound, StorageUnavailable, shown
from service.storage import AuditRecord, DraftRecord, ReviewRecord, RuleSetStore, VersionRecord

log = logging.getLogger(__name__)

EXAMPLES = ("fulfilment.yaml",)
AUDIT_LOOKBACK = 10_000
"""Audit entries read to tell whether a version was active before (a rollback needs no new review)."""
Checker = Callable[[str, str], CheckResult]


class VersionRefused(FailedPrecondition):
    """A stored version this replica will not serve: its source no longer matches its content hash
    (damaged in storage), or it no longer compiles."""

    REASON = "VERSION_REFUSED"


@dataclass(frozen=True, slots=True)
class Published:
    record: VersionRecord
    created: bool
    check: CheckResult


@dataclass(frozen=True, slots=True)
class Activated:
    name: str
    version: int
    previous_version: int
    actor: str
    reason: str
    at: datetime
    changed: bool = True
    """False when a promotion being finished again had already activated its candidate."""


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    active_version: int
    versions: list[VersionRecord]


class RuleSetCatalog:
    def __init__(
        self,
        store: RuleSetStore,
        clock: Clock,
        check: Checker = rules.check,
        required_approvals: int = 0,
        notifier: Notifier = SILENT,
        memo_size: int = MEMO_SIZE,
    ) -> None:
        self._store = store
        self.memo_size = memo_size
        """Entries of each compiled version's memo (rules.memo; 0: every order goes to the engine)."""
        self.notifier = notifier
        """Where events go (service.app.notifications): activations from here; gray releases and the
        supervisor reach it through the catalog too."""
        self.required_approvals = required_approvals
        """Approvals a version needs before it is activated or put in an experiment (0: none)."""
        self._clock = clock
        self._check = check
        """How sources are checked: in process, or isolated in a child (service.app.isolated_check)."""
        self._active: dict[str, CompiledRuleSet] = {}
        self._versions: dict[tuple[str, int], CompiledRuleSet] = {}
        self._refused: dict[str, tuple[int, str]] = {}
        """Rule set -> (its active version, why this replica does not serve it)."""
        self._write_lock = threading.Lock()
        self.loaded = False
        """True once the stored state was read: before that, Route answers UNAVAILABLE, not NOT_FOUND."""

    # ------------------------------------------------------------ hot path

    def active(self, name: str) -> CompiledRuleSet:
        compiled = self._active.get(name)
        if compiled is None:
            if not self.loaded:
                raise StorageUnavailable("rule sets are not loaded yet: waiting for Redis")
            refused = self._refused.get(name)
            if refused is not None:
                raise VersionRefused(refused[1])
            raise NotFound(f"rule set {shown(name)} does not exist or has no active version", NotFound.RULE_SET)
        return compiled

    # ------------------------------------------------------------ start-up

    def load_active(self) -> None:
        """Compiles the active version of every stored rule set (again, when another replica changed it).

        A version that cannot be served (damaged in storage, or no longer compiling) is refused on its
        own, reported once: its rule set answers Route with the reason, the others serve on.
        """
        for name in self._store.list_names():
            active = self._store.active(name)
            current = self._active.get(name)
            if active is None or (current is not None and current.version == active.version):
                continue
            refused = self._refused.get(name)
            if refused is not None and refused[0] == active.version:
                continue  # reported already; activating another version clears it
            try:
                compiled = self.compiled(name, active.version)
            except (VersionRefused, NotFound, RulesError) as exc:
                reason = exc.message.replace("\n", " ")
                if not isinstance(exc, VersionRefused):
                    reason = f"rule set {shown(name)} version {active.version} cannot be served: {reason}"
                self._refused[name] = (active.version, reason)
                self._active.pop(name, None)
                log.error("%s", reason)
                continue
            self._active[name] = compiled
            self._refused.pop(name, None)
            log.info("loaded rule set %s version %d", name, active.version)
        self.loaded = True

    def memos(self) -> list[tuple[str, int, MemoStats]]:
        """(rule set, version, its memo's figures) of every version compiled here."""
        compiled = {(c.name, c.version): c for c in (*list(self._active.values()), *list(self._versions.values()))}
        return [(name, version, c.memo.stats()) for (name, version), c in sorted(compiled.items())]

    def names(self) -> list[str]:
        return list(self._active)

    @property
    def active_names(self) -> Container[str]:
        """A live view of the names of rule sets with an active version."""
        return self._active.keys()

    def retain(self, keep: set[tuple[str, int]]) -> None:
        """Forgets compiled versions that are neither active nor in `keep` (requests still using
        one keep it alive until they finish; the engine frees it then)."""
        active = {(c.name, c.version) for c in list(self._active.values())}
        for key in list(self._versions):  # a copy: request threads may add meanwhile
            if key not in active | keep:
                self._versions.pop(key, None)

    def compiled(self, name: str, version: int) -> CompiledRuleSet:
        """A version ready to evaluate, compiled once and kept while in use.

        Raises VersionRefused when its stored source no longer matches its content hash.
        """
        key = (name, version)
        compiled = self._versions.get(key)
        if compiled is None:
            compiled = self._compile(self._store.get_version(name, version))
            self._versions[key] = compiled
        return compiled

    def seed_examples(self, actor: str = "orderroute-seed") -> None:
        """On an empty store: publish and activate the example rule sets."""
        if self._store.list_names():
            return
        for example in EXAMPLES:
            source = resources.files("rules").joinpath("examples", example).read_text()
            published = self.publish(source, f"rules/examples/{example}", actor, "example rule set")
            bypass = "the example, seeded on an empty store" if self.required_approvals else ""
            self.activate(
                published.record.name, published.record.version, actor, "seeded on first start", bypass=bypass
            )

    # ------------------------------------------------------------ authoring

    def validate(self, source: str, file: str) -> CheckResult:
        return self._check(source, file or "<source>")

    def try_draft(self, source: str, file: str, facts: rules.OrderFacts) -> tuple[CheckResult, Trial | None]:
        """A draft checked as a publish would check it, and the order tried on it (None: it has errors;
        a failing embedded test does not stop a trial, it is often what the author is looking into)."""
        check = self.validate(source, file)
        if check.rule_set is None or any(d.code != "test-failed" for d in check.errors):
            return check, None
        return check, try_order(check.rule_set, facts, 0, check.content_hash)

    def compiled_draft(self, source: str, file: str) -> CompiledRuleSet:
        """An unpublished source compiled for the engine once it passes every check a publish makes
        (InvalidArgument naming its first error otherwise): nothing unchecked reaches the engine."""
        check = self.validate(source, file)
        errors = [d for d in check.errors if d.code != "test-failed"]
        if check.rule_set is None or errors:
            first = errors[0] if errors else None
            raise InvalidArgument("candidate_source", first.render() if first else "the draft does not parse")
        return CompiledRuleSet(check.rule_set, 0, check.content_hash)

    def explain(self, name: str, version: int, facts: rules.OrderFacts) -> Explanation:
        """Why a published version decides the order as it does (rules.explain)."""
        record, _ = self.get(name, version)
        return explain(self._parse(record), facts, record.version, record.content_hash)

    def try_version(self, name: str, version: int, facts: rules.OrderFacts) -> Trial:
        """The order tried on a published version (0: the active one)."""
        record, _ = self.get(name, version)
        return try_order(self._parse(record), facts, record.version, record.content_hash)

    def publish(
        self,
        source: str,
        file: str,
        author: str,
        comment: str,
        answer: Callable[[CheckResult], object] = repr,
        request_id: str = "",
    ) -> Published:
        """Checks, then stores. `answer` builds what the caller sends back from the check, before
        anything is stored: if it fails, nothing was (OK means stored, an error means not stored). The
        same `request_id` again within a day gets the version the first call answered."""
        check = self.validate(source, file)
        if not check.valid or check.rule_set is None:
            raise RuleSetInvalid(check.diagnostics)
        answer(check)
        record, created = self._store.publish(
            check.rule_set.name,
            source,
            check.content_hash,
            author,
            comment,
            len(check.rule_set.rules) + 1,
            self._clock(),
            request_id,
        )
        return Published(record, created, check)

    def activate(
        self,
        name: str,
        version: int,
        actor: str,
        reason: str,
        for_experiment: str = "",
        expected_active: int = 0,
        request_id: str = "",
        bypass: str = "",
    ) -> Activated:
        """Makes `version` active; `for_experiment` names the experiment whose promotion this completes.
        The same `request_id` again within a day gets what the first call answered, writing nothing.

        Raises RuleSetHeld (FailedPrecondition) while an experiment holds the rule set, and Conflict
        when `expected_active` is set and another version is active.
        """
        if version <= 0:
            raise InvalidArgument("version", "must be a published version number (1 or more)")
        compiled = self.compiled(name, version)
        if not for_experiment and not bypass:  # a promotion's candidate was approved to start its experiment
            self.require_approved(name, version)
        with self._write_lock:
            record, changed = self._store.activate(
                name, version, actor, reason, self._clock(), for_experiment, expected_active, request_id, bypass
            )
            if record.version == version:
                self._active[name] = compiled
        if changed:
            log.info(
                "activated rule set %s version %d (was %d) by %s: %s",
                name,
                version,
                record.previous_version,
                actor,
                reason,
            )
        activated = Activated(
            name, record.version, record.previous_version, record.actor, record.reason, record.at, changed
        )
        if changed:
            self.notifier.notify(activation_event(activated, for_experiment))
        return activated

    # ------------------------------------------------------------ drafts

    def save_draft(self, name: str, owner: str, source: str, base_version: int) -> DraftRecord:
        if len(source.encode()) > MAX_SOURCE_BYTES:
            raise InvalidArgument("source", f"a draft is at most {MAX_SOURCE_BYTES:,} bytes")
        if not NAME.fullmatch(name):
            raise InvalidArgument("name", "lower-case letters, digits, '_' and '-', at most 64 characters")
        draft = DraftRecord(name, owner, source, base_version, self._clock())
        self._store.save_draft(draft)
        return draft

    def draft(self, name: str, owner: str) -> DraftRecord:
        found = self._store.draft(name, owner)
        if found is None:
            raise NotFound(f"{owner} has no draft of rule set {shown(name)}", "DRAFT_NOT_FOUND")
        return found

    def delete_draft(self, name: str, owner: str) -> None:
        self._store.delete_draft(name, owner)

    # ------------------------------------------------------------ reviews

    def review(self, name: str, version: int, reviewer: str, approved: bool, comment: str) -> list[ReviewRecord]:
        """Records an approval or rejection; the version's author may not review it (FailedPrecondition)."""
        if version <= 0:
            raise InvalidArgument("version", "must be a published version number (1 or more)")
        if not approved and not comment.strip():
            raise InvalidArgument("comment", "is required when rejecting: say what the author should change")
        record = self._store.get_version(name, version)
        if record.author == reviewer:
            raise FailedPrecondition(
                f"{reviewer} published version {version} of {shown(name)}; another reviewer must review it",
                "AUTHOR_CANNOT_REVIEW",
            )
        return self._store.review(name, version, ReviewRecord(reviewer, approved, comment, self._clock()))

    def reviews(self, name: str) -> dict[int, list[ReviewRecord]]:
        return self._store.reviews(name)

    def require_approved(self, name: str, version: int) -> None:
        """Raises NotApproved unless the version has the approvals required (and no rejection), or it was
        active before: a rollback must not wait for a review."""
        if self.required_approvals <= 0:  # as before reviews existed: nothing is held back
            return
        reviews = self._store.reviews(name).get(version, [])
        if review_state(reviews, self.required_approvals) is ReviewState.APPROVED:
            return
        if self._was_active(name, version):
            return
        require_approved(name, version, reviews, self.required_approvals)

    def _was_active(self, name: str, version: int) -> bool:
        return any(e.action == "activate" and e.version == version for e in self._store.audit(name, AUDIT_LOOKBACK))

    # ------------------------------------------------------------ reading

    def get(self, name: str, version: int) -> tuple[VersionRecord, bool]:
        """(record, is_active); version 0 means the active one."""
        active = self._store.active(name)
        if version == 0:
            if active is None:
                raise NotFound(f"rule set {shown(name)} does not exist or has no active version", NotFound.RULE_SET)
            version = active.version
        return self._store.get_version(name, version), active is not None and active.version == version

    def summary(self, name: str) -> Summary:
        """One rule set's active version and versions (newest first); NotFound if it has none."""
        versions = self._store.list_versions(name)
        if not versions:
            raise NotFound(f"rule set {shown(name)} does not exist", NotFound.RULE_SET)
        active = self._store.active(name)
        return Summary(name, active.version if active else 0, versions)

    def summaries(self) -> list[Summary]:
        out = []
        for name in self._store.list_names():
            active = self._store.active(name)
            out.append(Summary(name, active.version if active else 0, self._store.list_versions(name)))
        return out

    def diff(self, name: str, old: int, new: int) -> RuleSetDiff:
        before, _ = self.get(name, old)
        after, _ = self.get(name, new)
        return rules.diff_rule_sets(
            self._parse(before),
            self._parse(after),
            before.source,
            after.source,
            f"{name} v{before.version}",
            f"{name} v{after.version}",
        )

    def audit(self, name: str, limit: int, before: str = "") -> list[AuditRecord]:
        return self._store.audit(name, limit, before)

    # ------------------------------------------------------------ helpers

    def _parse(self, record: VersionRecord) -> rules.RuleSet:
        """The stored version's rule set, once its source is checked against the hash it was published with."""
        digest = rules.content_hash(record.source)
        if digest != record.content_hash:
            raise VersionRefused(
                f"rule set {shown(record.name)} version {record.version} is damaged in storage: its source "
                f"hashes to {digest}, not to the {record.content_hash} it was published with; it is not "
                "served: activate another version, or restore the data from a backup"
            )
        rule_set, diagnostics = rules.parse_rule_set(record.source, f"{record.name} v{record.version}")
        if rule_set is None:
            raise RuleSetInvalid(diagnostics)
        return rule_set

    def _compile(self, record: VersionRecord) -> CompiledRuleSet:
        return CompiledRuleSet(self._parse(record), record.version, record.content_hash, self.memo_size)
