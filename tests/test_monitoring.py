"""The monitoring that ships with the service: deploy/prometheus/alerts.yml and the Grafana
dashboard under deploy/grafana/ name only metrics the daemon exports (from its first moment,
every labelled counter at 0), and promtool (Debian's prometheus package, installed by `make
test`) accepts the rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import generate_latest

from reminders.metrics import JOBS, Metrics

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "reminders.json"
NAME = re.compile(r"\b(reminders_[a-z_]+)")


def _exported() -> set[str]:
    text = generate_latest(Metrics().registry).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}


def _rule_expressions() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def _panel_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_expression_names_metrics_the_service_exports() -> None:
    exported = _exported()
    expressions = _rule_expressions() + _panel_expressions()
    assert len(_rule_expressions()) >= 8 and len(_panel_expressions()) >= 12
    named = {name for expression in expressions for name in NAME.findall(expression)}
    assert named - exported == set()
    # What the issue asks to alert on is there: a stale scan, a stuck outbox, the failure rate
    # and holders left out.
    for needed in ("reminders_last_scan_timestamp_seconds", "reminders_send_lag_seconds",
                   "reminders_messages_total", "reminders_holders_left_out_total"):  # fmt: skip
        assert any(needed in expression for expression in _rule_expressions()), needed


def test_the_check_fails_on_a_metric_that_does_not_exist() -> None:
    assert set(NAME.findall("rate(reminders_mesages_total[5m])")) - _exported() == {
        "reminders_mesages_total"
    }


def test_every_labelled_counter_is_there_at_zero_before_the_first_event() -> None:
    text = generate_latest(Metrics().registry).decode()
    for job in JOBS:
        assert f'reminders_job_errors_total{{job="{job}"}} 0.0' in text
    for sample in ('reminders_holders_left_out_total{job="scan"} 0.0',
                   'reminders_messages_total{outcome="failed"} 0.0',
                   'reminders_notices_sent_total{kind="overdue"} 0.0',
                   'reminders_messages_due_unsent{kind="digest"} 0.0',
                   'reminders_webhook_deliveries_total{outcome="failed"} 0.0',
                   'reminders_bounce_reports_total{kind="hard"} 0.0',
                   "reminders_delivery_lateness_seconds_count 0.0"):  # fmt: skip
        assert sample in text, sample


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make test` installs Debian's prometheus package"
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 9 rules found" in checked.stdout
