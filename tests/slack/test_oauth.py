"""Many workspaces (OAuth), end to end on SQLite and PostgreSQL: the real WSGI app (Bolt's OAuth flow behind Mirage's
HTTP layer) driven by a browser-like client and signed Slack requests, the inbox worker, slack_sdk's SQLAlchemy
stores on the migrated database, and the Web API double standing in for slack.com (oauth.v2.access, auth.test per
token). Each workspace is answered with its own token, read off the Authorization header the double received."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from sqlalchemy import Engine, text
from typer.testing import CliRunner
from werkzeug.test import Client, TestResponse

from bot.bench.support.slack_double import SlackDouble, Workspace
from bot.catalog import Catalog
from bot.cli.main import app as mirage
from bot.detection import Detector
from bot.jobs.retention import purge_expired
from bot.runtime.probes import probe_routes
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings
from bot.slack.client import build_client
from bot.slack.http import wsgi_app
from bot.slack.oauth import SCOPES, Installations, InstalledTeams
from bot.slack.paths import EVENTS_PATH, INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.slack.posting import NotInstalled
from bot.slack.processing import EventProcessor
from bot.slack.serving import Slack, build_slack, team_digest_poster

from .conftest import RULES, InlineExecutor, new_ts
from .signing import SECRET, event_body, sign

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"
CLAIM = "It scored highest on MMLU, so it should be the best choice."
MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "slack"


@dataclass
class Site:
    """Mirage in many-workspace mode: its HTTP front door, its worker, and the double playing slack.com."""

    http: Client
    slack: SlackDouble
    mirage: Slack
    worker: InboxWorker
    deps: Deps

    @property
    def installations(self) -> Installations:
        assert self.mirage.oauth is not None
        return self.mirage.oauth.installations

    def install(self, workspace: Workspace) -> TestResponse:
        """The install page, then Slack's redirect back with the page's state and the workspace's code."""
        state, _ = install_link(self.http.get(INSTALL_PATH))
        return self.http.get(OAUTH_REDIRECT_PATH, query_string={"code": workspace.code, "state": state})

    def event(self, event: dict[str, Any], team: str) -> TestResponse:
        """A signed Events API request from workspace `team`; the worker then drains the inbox."""
        body = event_body(event, f"Ev{new_ts().replace('.', '')}", team=team)
        response = self.http.post(EVENTS_PATH, data=body,
                                  headers={"Content-Type": "application/json", **sign(body)})
        self.worker.drain()
        return response

    def message(self, team: str, channel: str, text: str = CLAIM, user: str = "U0ALICE") -> TestResponse:
        return self.event({"type": "message", "channel": channel, "user": user, "text": text, "ts": new_ts(),
                           "channel_type": "channel"}, team)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.deps.engine.connect() as c:
            return list(c.execute(text(sql), params))


def install_link(page: TestResponse) -> tuple[str, dict[str, list[str]]]:
    """The state and the query of the "Add to Slack" link on the install page."""
    assert page.status_code == 200
    found = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.get_data(as_text=True))
    assert found is not None, "no Add to Slack link on the install page"
    query = parse_qs(urlparse(html.unescape(found.group(1))).query)
    return query["state"][0], query


@pytest.fixture
def site(engine: Engine, detector: Detector, catalog: Catalog, slack: SlackDouble, tmp_path: Path) -> Iterator[Site]:
    settings = Settings(
        slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, slack_signing_secret=SECRET,
        slack_api_url=slack.api_url, database_url=engine.url.render_as_string(hide_password=False), rules_dir=RULES,
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.uses_oauth
    deps = Deps(engine=engine, detector=detector, catalog=catalog, settings=settings)
    mirage_slack = build_slack(settings, deps, build_client(settings), listener_executor=InlineExecutor())
    assert mirage_slack.many
    http = Client(wsgi_app(mirage_slack.app, SECRET, probe_routes(deps), intake=mirage_slack.intake, install=True))
    yield Site(http, slack, mirage_slack, InboxWorker(deps, EventProcessor.for_teams(mirage_slack.teams, deps)),
               deps)


@pytest.fixture
def two(site: Site) -> tuple[Workspace, Workspace]:
    """Two workspaces, both installed through the OAuth flow."""
    a, b = site.slack.add_workspace("TALPHA", "Alpha"), site.slack.add_workspace("TBETA", "Beta")
    for workspace in (a, b):
        assert site.install(workspace).status_code == 200
    return a, b


def test_install_page_gives_an_install_link_with_a_state(site: Site) -> None:
    """GET INSTALL_PATH: an "Add to Slack" link to Slack's authorize URL with Mirage's client id, the manifest's
    scopes and a fresh state, which is stored in the database and bound to the browser by a cookie."""
    page = site.http.get(INSTALL_PATH)
    state, query = install_link(page)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(SCOPES)]
    assert site.rows("SELECT state FROM slack_oauth_states") == [(state,)]
    assert f"slack-app-oauth-state={state}" in page.headers["Set-Cookie"]
    second, _ = install_link(site.http.get(INSTALL_PATH))
    assert second != state


def test_the_redirect_with_the_state_and_a_code_stores_the_installation(site: Site) -> None:
    """Slack's redirect with the page's state and a code: oauth.v2.access is called with that code, the workspace's
    installation and bot are stored with its token and bot user, and the state is used up (a replay fails)."""
    alpha = site.slack.add_workspace("TALPHA", "Alpha")
    state, _ = install_link(site.http.get(INSTALL_PATH))
    done = site.http.get(OAUTH_REDIRECT_PATH, query_string={"code": alpha.code, "state": state})
    assert done.status_code == 200
    assert [c.body.get("code") for c in site.slack.of("oauth.v2.access")] == [alpha.code]
    assert site.rows("SELECT team_id, team_name, bot_token, bot_user_id, bot_id FROM slack_installations") == [
        ("TALPHA", "Alpha", alpha.token, alpha.bot_user, alpha.bot_id)]
    assert site.rows("SELECT team_id, bot_token FROM slack_bots") == [("TALPHA", alpha.token)]
    assert site.rows("SELECT count(*) FROM slack_oauth_states") == [(0,)]
    again = site.http.get(OAUTH_REDIRECT_PATH, query_string={"code": alpha.code, "state": state})
    assert again.status_code in (400, 401)  # the cookie was cleared and the state used up
    assert len(site.slack.of("oauth.v2.access")) == 1


def test_a_redirect_without_a_valid_state_stores_nothing(site: Site) -> None:
    """A made-up state (or a code from another browser) is refused before Slack is asked for a token."""
    alpha = site.slack.add_workspace("TALPHA", "Alpha")
    site.http.get(INSTALL_PATH)
    forged = site.http.get(OAUTH_REDIRECT_PATH, query_string={"code": alpha.code, "state": "forged"})
    assert forged.status_code in (400, 401)
    assert site.slack.of("oauth.v2.access") == []
    assert site.rows("SELECT count(*) FROM slack_installations") == [(0,)]


def test_each_workspace_is_answered_with_its_own_token(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """A claim in each of two installed workspaces is answered in that workspace with that workspace's bot token
    (the Authorization header the double received), by the inbox worker and by Bolt's listeners alike."""
    alpha, beta = two
    assert site.message("TALPHA", "CALPHA").status_code == 200
    assert site.message("TBETA", "CBETA").status_code == 200
    posts = {c.body["channel"]: c.headers["Authorization"] for c in site.slack.of("chat.postMessage")}
    assert posts == {"CALPHA": f"Bearer {alpha.token}", "CBETA": f"Bearer {beta.token}"}
    for call in site.slack.calls:  # thread reads too: never one workspace's token for the other's channel
        if call.body.get("channel") == "CALPHA":
            assert call.headers["Authorization"] == f"Bearer {alpha.token}"
    incidents = site.rows("SELECT workspace_id, channel_id, permalink FROM incidents ORDER BY workspace_id")
    assert [(ws, ch) for ws, ch, _ in incidents] == [("TALPHA", "CALPHA"), ("TBETA", "CBETA")]
    assert incidents[0][2].startswith("https://talpha.slack.com/archives/CALPHA/")  # that workspace's own URL
    site.event({"type": "app_home_opened", "user": "U0BOB", "tab": "home"}, "TBETA")
    assert site.slack.tokens_of("views.publish") == [beta.token]


def test_a_mention_of_each_workspace_bot_counts_as_a_mention(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """Each workspace's own bot user is who a mention names: a plain `@Mirage` gets the hello there."""
    alpha, _ = two
    site.message("TALPHA", "CHELLO", text=f"<@{alpha.bot_user}> hi")
    hello = site.slack.of("chat.postMessage")
    assert [c.body["channel"] for c in hello] == ["CHELLO"]
    assert "I'm Mirage" in hello[0].body["text"]


def test_an_event_from_a_workspace_not_installed_is_refused(
    site: Site, two: tuple[Workspace, Workspace], caplog: pytest.LogCaptureFixture
) -> None:
    """A signed event from a workspace Mirage is not installed in is acknowledged, not stored, and logged in one
    clear line; a request Bolt handles (the Home tab) is refused the same way. Nothing is posted there."""
    with caplog.at_level(logging.INFO):
        assert site.message("TSTRANGER", "CSTRANGE").status_code == 200
        site.event({"type": "app_home_opened", "user": "U0BOB", "tab": "home"}, "TSTRANGER")
    assert site.rows("SELECT count(*) FROM inbox") == [(0,)]
    assert site.slack.of("chat.postMessage") == [] and site.slack.of("views.publish") == []
    lines = [r.getMessage() for r in caplog.records]
    assert any("refused: Mirage is not installed in workspace TSTRANGER" in line for line in lines)
    assert any("request from workspace TSTRANGER refused: Mirage is not installed there" in line for line in lines)


def test_app_uninstalled_then_an_event_posts_nothing(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """app_uninstalled deletes the workspace's installation (the other stays), drops its pending events, and from
    then on nothing is posted there; the other workspace is still answered."""
    alpha, beta = two
    site.message("TALPHA", "CALPHA")
    assert len(site.slack.of("chat.postMessage")) == 1
    # an event already waiting in the inbox when the uninstall arrives
    body = event_body({"type": "message", "channel": "CALPHA2", "user": "U0BOB", "text": CLAIM, "ts": new_ts(),
                       "channel_type": "channel"}, "EvWAITING", team="TALPHA")
    assert site.mirage.intake(json.loads(body))
    assert site.event({"type": "app_uninstalled"}, "TALPHA").status_code == 200
    assert site.rows("SELECT team_id FROM slack_installations") == [("TBETA",)]
    assert site.rows("SELECT team_id FROM slack_bots") == [("TBETA",)]
    assert site.rows("SELECT state, payload IS NULL, error FROM inbox WHERE event_id = 'EvWAITING'") == [
        ("done", True, "workspace removed Mirage; not processed")]
    site.message("TALPHA", "CALPHA3", user="U0CAROL")
    site.message("TBETA", "CBETA", user="U0CAROL")
    assert [c.body["channel"] for c in site.slack.of("chat.postMessage")] == ["CALPHA", "CBETA"]
    assert site.slack.tokens_of("chat.postMessage")[1] == beta.token
    assert site.rows("SELECT count(*) FROM inbox WHERE workspace_id = 'TALPHA'") == [(2,)]  # nothing new stored
    assert alpha.token not in site.slack.tokens_of("chat.postMessage")[1:]


def test_tokens_revoked_for_the_bot_removes_the_workspace(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """tokens_revoked naming the bot token: the workspace's installation is deleted, and its next claim is not
    answered (Mirage is bot-only: without its bot token it has nothing to act with)."""
    alpha, _ = two
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [alpha.bot_user]}}
    assert site.event(revoked, "TALPHA").status_code == 200
    assert site.rows("SELECT team_id FROM slack_bots") == [("TBETA",)]
    site.message("TALPHA", "CALPHA")
    assert site.slack.of("chat.postMessage") == []


def test_an_uninstalled_workspace_keeps_its_data_until_retention_ages_it_out(
    site: Site, two: tuple[Workspace, Workspace]
) -> None:
    """Chosen policy: the data of a workspace that removed Mirage is kept (a reinstall finds its history) and
    goes with the daily retention purge once older than RETENTION_DAYS, like all data."""
    site.message("TALPHA", "CALPHA")
    site.message("TBETA", "CBETA")
    site.event({"type": "app_uninstalled"}, "TALPHA")
    count = "SELECT count(*) FROM incidents WHERE workspace_id = 'TALPHA'"
    assert site.rows(count) == [(1,)]
    now = datetime.now(UTC)
    purge_expired(site.deps.engine, site.deps.settings, now + timedelta(days=site.deps.settings.retention_days - 1))
    assert site.rows(count) == [(1,)]
    purge_expired(site.deps.engine, site.deps.settings, now + timedelta(days=site.deps.settings.retention_days + 1))
    assert site.rows(count) == [(0,)]


def test_reinstalling_answers_again_with_the_new_token(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """After an uninstall, installing again stores the new installation and the workspace is answered again."""
    alpha, _ = two
    site.event({"type": "app_uninstalled"}, "TALPHA")
    assert site.install(alpha).status_code == 200
    site.message("TALPHA", "CALPHA")
    assert site.slack.tokens_of("chat.postMessage") == [alpha.token]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_worker_cache_is_per_workspace_and_honours_revocation(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """The worker's token cache: one store read per workspace while fresh; a removal in this process is seen at
    once, a removal by another process (its own store) once the cache entry is older than cache_seconds."""
    alpha, beta = two
    clock = Clock()
    teams = InstalledTeams(site.installations, site.deps.settings, cache_seconds=60, clock=clock)
    first = teams.team("TALPHA")
    assert first is not None and first.client.token == alpha.token and first.identity.user_id == alpha.bot_user
    assert teams.team("TALPHA") is first  # cached
    other_process = Installations(CLIENT_ID, site.deps.engine, site.deps.writing)
    other_process.remove("TALPHA")
    clock.now += 59
    assert teams.team("TALPHA") is first  # still fresh in this process's cache
    clock.now += 2
    assert teams.team("TALPHA") is None  # read again: gone
    assert teams.team("TBETA") is not None
    site.installations.remove("TBETA")  # through this process's store: forgotten at once
    assert teams.team("TBETA") is None
    assert beta.token not in [client.token for _, client in teams.clients()]


def test_oauth_in_socket_mode_fails_with_one_clear_line(tmp_path: Path) -> None:
    """`mirage run` with SLACK_CLIENT_ID/SECRET and no bot token but without --http stops with one line: OAuth
    installs are served over HTTP only."""
    result = CliRunner().invoke(mirage, ["run"], env={
        "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "xapp-1", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "run over HTTP only: pass --http" in lines[0]
    assert not (tmp_path / "m.db").exists()


def test_client_id_without_secret_is_a_bad_setting(tmp_path: Path) -> None:
    """SLACK_CLIENT_ID alone is refused before anything starts, naming the missing half (the secret never shown)."""
    result = CliRunner().invoke(mirage, ["run"], env={"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "",
                                                      "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    assert result.exit_code != 0
    assert "SLACK_CLIENT_SECRET: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together" in result.output


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest-http.yaml", "manifest-oauth.yaml"])
def test_oauth_scopes_are_the_manifest_scopes(name: str) -> None:
    """The install asks for exactly the bot scopes the manifests declare."""
    manifest = yaml.safe_load((MANIFESTS / name).read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)


def test_oauth_manifest_redirects_and_subscribes_to_uninstalls() -> None:
    """The many-workspaces manifest sets the redirect URL to OAUTH_REDIRECT_PATH and subscribes to app_uninstalled
    and tokens_revoked, besides the events the HTTP manifest has."""
    oauth = yaml.safe_load((MANIFESTS / "manifest-oauth.yaml").read_text(encoding="utf-8"))
    http = yaml.safe_load((MANIFESTS / "manifest-http.yaml").read_text(encoding="utf-8"))
    assert [urlparse(u).path for u in oauth["oauth_config"]["redirect_urls"]] == [OAUTH_REDIRECT_PATH]
    events = oauth["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == set(http["settings"]["event_subscriptions"]["bot_events"]) | {"app_uninstalled",
                                                                                        "tokens_revoked"}
    assert oauth["settings"]["socket_mode_enabled"] is False


def test_the_digest_posts_with_each_workspace_token(site: Site, two: tuple[Workspace, Workspace]) -> None:
    """The weekly digest is posted with the workspace's own token, and never to a workspace Mirage left (the run
    is recorded as failed with that reason); the names refresh asks each installed workspace with its token."""
    _, beta = two
    post = team_digest_poster(site.mirage.teams, site.deps)
    post("TBETA", "CBETA", [], "the digest")
    assert site.slack.tokens_of("chat.postMessage") == [beta.token]
    site.event({"type": "app_uninstalled"}, "TALPHA")
    with pytest.raises(NotInstalled):
        post("TALPHA", "CALPHA", [], "the digest")
    assert len(site.slack.of("chat.postMessage")) == 1
    assert [ws for ws, _ in site.mirage.teams.clients()] == ["TBETA"]


def test_single_workspace_mode_serves_no_install_pages(settings: Settings, deps: Deps,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With SLACK_BOT_TOKEN, Mirage serves its one workspace as before: no install page, even when the client id
    and secret are in the environment too (Bolt would read them by itself)."""
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    assert not settings.uses_oauth
    one = build_slack(settings, deps, build_client(settings), listener_executor=InlineExecutor())
    assert not one.many
    http = Client(wsgi_app(one.app, SECRET, probe_routes(deps), intake=one.intake, install=one.many))
    assert http.get(INSTALL_PATH).status_code == 404
    assert http.get(OAUTH_REDIRECT_PATH, query_string={"code": "x", "state": "y"}).status_code == 404


def test_mirage_run_http_serves_many_workspaces(slack: SlackDouble, tmp_path: Path) -> None:
    """The real `mirage run --http` with SLACK_CLIENT_ID/SECRET and no bot token: nothing asked of Slack at start,
    the install page and redirect install a workspace, and that workspace's claim is answered with its token."""
    import http.client

    from .bot_process import BotProcess, wait_for

    alpha = slack.add_workspace("TALPHA", "Alpha")
    bot = BotProcess(env={"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                          "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url, "DIGEST_CHANNELS": "",
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'many.db'}"}, log_path=tmp_path / "bot.log")

    def get(path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(), response.getheader("Set-Cookie") or ""

    try:
        bot.start()
        assert slack.calls == []  # no auth.test at start: there is no single token to test
        status, page, cookie = get(INSTALL_PATH)
        assert status == 200
        found = re.search(r'state=([^&"]+)', html.unescape(page))
        assert found is not None
        state = found.group(1)
        status, _, _ = get(f"{OAUTH_REDIRECT_PATH}?code={alpha.code}&state={state}",
                           {"Cookie": cookie.split(";")[0]})
        assert status == 200
        body = event_body({"type": "message", "channel": "CALPHA", "user": "U0ALICE", "text": CLAIM,
                           "ts": new_ts(), "channel_type": "channel"}, "EvPROCESS1", team="TALPHA")
        conn = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
        conn.request("POST", EVENTS_PATH, body=body.encode(), headers={"Content-Type": "application/json",
                                                                       **sign(body)})
        assert conn.getresponse().status == 200
        wait_for(lambda: bool(slack.of("chat.postMessage")), 30, "the reply in workspace TALPHA")
        assert slack.tokens_of("chat.postMessage") == [alpha.token]
        assert bot.terminate(30) == 0
    finally:
        bot.stop()
