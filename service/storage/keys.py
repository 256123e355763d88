"""Every Redis key and channel the service uses, in one place.

A hash tag (`{...}`) keeps what one script or transaction touches in one
Redis Cluster slot. A rule set's keys share `{rs:NAME}`, and so do its
experiments' settings, audit and the claim saying which one holds the rule
set: publishing, activating, starting an experiment (claim and create) and
every transition (and with a final one, releasing the claim) are each one
atomic script. An experiment's outcome sums share `{exp:ID}`, so an outcome
updates them atomically; each decision record has its own tag, so records
spread over every node.

    orderroute:rule-sets                        SET of rule set names
    orderroute:{rs:NAME}:seq                    INCR counter: the last version number handed out
    orderroute:{rs:NAME}:meta                   HASH version -> JSON (hash, author, comment, time, rule count)
    orderroute:{rs:NAME}:source                 HASH version -> YAML source (immutable once written)
    orderroute:{rs:NAME}:active                 HASH version, previous, actor, reason, at
    orderroute:{rs:NAME}:audit                  STREAM of publish / activate / approve / reject entries
    orderroute:{rs:NAME}:reviews                HASH version -> JSON list of reviews, oldest first
    orderroute:{rs:NAME}:drafts                 HASH owner -> JSON {source, base, at}: unpublished drafts
    orderroute:{rs:NAME}:experiment             STRING id of the experiment holding the rule set (the claim)
    orderroute:{rs:NAME}:start:REQUEST_ID       STRING experiment a start request created (expires)
    orderroute:{rs:NAME}:change:REQUEST_ID      STRING JSON {id, action, after}: what a change request did (expires)
    orderroute:{rs:NAME}:request:REQUEST_ID     STRING JSON: what a publish or activation request answered (expires)
    orderroute:{rs:NAME}:exp:ID:meta            STRING experiment JSON
    orderroute:{rs:NAME}:exp:ID:audit           STREAM of transitions with a results snapshot
    orderroute:experiment-rule-sets             HASH experiment id -> rule set name (where its keys are)
    orderroute:experiments:seq                  INCR counter for ids
    orderroute:{exp:ID}:assigned                HASH arm -> decisions routed; "unassigned" -> orders without the unit
    orderroute:{exp:ID}:units:EPOCH:ARM         SET of units seen at one share
    orderroute:{exp:ID}:outcomes                HASH decision id -> reported metric values (JSON)
    orderroute:{exp:ID}:clusters:ARM            HASH "metric|unit" -> "E,Y,N;E,Y,N" sums of that unit per epoch
    orderroute:{exp:ID}:stats:ARM               HASH "metric:E:n|y|yy|yn|nn|g" sums over units per epoch,
                                                "metric:E:F:yy|yn|ny|nn" across epochs, "metric:units", "metric:late",
                                                "outcomes"
    orderroute:{exp:ID}:heavy:ARM               ZSET unit -> orders with an outcome (the heaviest get CR3)
    orderroute:{exp:ID}:windows                 HASH metric -> maturity window in ms (written at start)
    orderroute:{exp:ID}:decided:ARM             HASH hour since 1970 -> decisions made in it
    orderroute:{exp:ID}:held:ARM                HASH "decision|metric" -> JSON [unit, epoch, metric, value]
                                                waiting for the decision to mature
    orderroute:{exp:ID}:due:ARM                 ZSET "decision|metric" -> ms at which it matures
    orderroute:{exp:ID}:late:ARM                SET "decision|metric" reported after maturity (not analysed)
    orderroute:{exp:ID}:running                 HASH metric, "guardrail:metric" -> "LOW HIGH P" the bounds shown
                                                so far (experiments.running)
    orderroute:decision:{DECISION_ID}           STRING the decision's rule set, version, arm, unit (expires)
    orderroute:outcome:{DECISION_ID}            HASH outcomes of a decision outside experiments (expires)
    orderroute:order:{ORDER_ID}                 HASH rule set -> "AT_MS DECISION_ID" of the order's latest
                                                decision under it (expires with the records)
    orderroute:{health:NAME}:MINUTE             HASH order health counters of one minute (service.storage.health;
                                                expire after the health retention)
    orderroute:{inputs:NAME}:log                ZSET decision id -> decided at (ms): the decision log with inputs
    orderroute:{inputs:NAME}:records            HASH decision id -> the logged decision with its inputs
                                                (service.storage.inputs_codec); both trimmed by age and count

    orderroute:changes                          pub/sub channel: the name of a rule set that changed
"""

from __future__ import annotations

PREFIX = "orderroute"

RULE_SET_NAMES = f"{PREFIX}:rule-sets"
EXPERIMENT_RULE_SETS = f"{PREFIX}:experiment-rule-sets"
EXPERIMENT_SEQUENCE = f"{PREFIX}:experiments:seq"
CHANGES_CHANNEL = f"{PREFIX}:changes"
UNASSIGNED = "unassigned"
"""The `assigned` field counting an experiment's orders without the unit (served by the baseline)."""


def rule_set(name: str, part: str) -> str:
    return f"{PREFIX}:{{rs:{name}}}:{part}"


def change_request(name: str, request_id: str) -> str:
    """What an experiment change with this request id did (a retry returns it)."""
    return rule_set(name, f"change:{request_id}")


def rule_set_request(name: str, request_id: str) -> str:
    """What a publish or activation with this request id answered (a retry gets it again)."""
    return rule_set(name, f"request:{request_id}")


def start_request(name: str, request_id: str) -> str:
    """Remembers which experiment a start request created, so a retry gets the same one."""
    return rule_set(name, f"start:{request_id}")


def experiment_settings(rule_set_name: str, experiment_id: str, part: str) -> str:
    """An experiment's meta or audit, in its rule set's slot."""
    return rule_set(rule_set_name, f"exp:{experiment_id}:{part}")


def experiment(experiment_id: str, part: str) -> str:
    """An experiment's assignment counts and outcome sums, in its own slot."""
    return f"{PREFIX}:{{exp:{experiment_id}}}:{part}"


def decision(decision_id: str) -> str:
    return f"{PREFIX}:decision:{{{decision_id}}}"


def order(order_id: str) -> str:
    """An order's latest decision per rule set (an outcome may name the order instead of the decision)."""
    return f"{PREFIX}:order:{{{order_id}}}"


def outcome(decision_id: str) -> str:
    """Outcomes of a decision outside any experiment (inside one they live with its sums)."""
    return f"{PREFIX}:outcome:{{{decision_id}}}"


def health(rule_set: str, minute: int) -> str:
    """A rule set's order health counters of one minute (every minute of a rule set in one slot)."""
    return f"{PREFIX}:{{health:{rule_set}}}:{minute}"


def inputs(rule_set: str, part: str) -> str:
    """A rule set's decision log with inputs (its log and records in one slot)."""
    return f"{PREFIX}:{{inputs:{rule_set}}}:{part}"
