"""The deploy files hold together without a container engine: every file parses, every variable is a real setting
(or a documented non-setting) and is in .env.example, every probe path is served, every command is one `mirage`
offers, the Kubernetes objects reference each other correctly, and the image is built from the lock."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from bot.cli.main import app
from bot.runtime.roles import ROLES
from bot.settings import Settings, env_name
from bot.slack.paths import HEALTHZ_PATH, PROBE_PATHS, READYZ_PATH

from .scripts import DEPLOY, ROOT, load_script

lock = load_script("lock")
healthcheck = load_script("healthcheck")

COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

# Variables the deploy files name that are not Mirage settings, and why.
NON_SETTINGS = {
    "POSTGRES_PASSWORD": "the postgres image's superuser password (compose; also feeds DATABASE_URL there)",
    "POSTGRES_USER": "the postgres image's user (compose)",
    "POSTGRES_DB": "the postgres image's database (compose)",
    "PYTHONDONTWRITEBYTECODE": "Python itself: no .pyc files in the image",
    "PYTHONUNBUFFERED": "Python itself: log lines leave at once",
    "PATH": "the image's virtual environment first",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip, builder stage only",
    "PIP_NO_CACHE_DIR": "pip, builder stage only",
}
ENV_EXAMPLE_NON_SETTINGS = {"POSTGRES_PASSWORD"}  # the one non-setting .env.example carries (compose reads it)

# `mirage run --role` is a plain string option checked at start, so Click's parser cannot reject a wrong role:
# run_command_problem checks it against the roles the runtime knows.
RUN_ROLES = ROLES

SETTINGS = {env_name(field) for field in Settings.model_fields}
KNOWN = SETTINGS

K8S_KINDS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Job": "batch/v1",
}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
    assert documents and all(isinstance(doc, dict) for doc in documents), f"{path.name}: not YAML mappings"
    return documents


def compose() -> dict[str, Any]:
    (document,) = yaml_documents(COMPOSE)
    return document


def kustomization() -> dict[str, Any]:
    (document,) = yaml_documents(K8S / "kustomization.yaml")
    return document


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for name in kustomization()["resources"] for doc in yaml_documents(K8S / name)]


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    found = [o for o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def deployments() -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == "Deployment"}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj["spec"]["template"]["spec"]
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def env_example() -> dict[str, tuple[str, bool, str]]:
    """NAME -> (value, active, the comment line above it) for every `NAME=value` or `# NAME=value` line."""
    found: dict[str, tuple[str, bool, str]] = {}
    previous = ""
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            name = match.group(2)
            assert name not in found, f".env.example names {name} twice"
            found[name] = (match.group(3), match.group(1) is None, previous)
        previous = line
    return found


def mirage_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    return {name: s for name, s in services.items() if "build" in s or s.get("image", "").startswith("mirage")}


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split per FROM stage; stage 0 is the ARGs before."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[list[str]] = [[]]
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


# --- commands -----------------------------------------------------------------------------------------------------


def run_command_problem(args: list[str]) -> str | None:
    """Why `mirage ARGS` is not a command the CLI offers (None when it is), read from the Typer app's own commands
    and parameters (subcommand names, option names, flags, choices), without running anything."""
    command: Any = typer.main.get_command(app)
    args = list(args)
    path = ["mirage"]
    while hasattr(command, "list_commands"):  # a group (Typer vendors Click: no isinstance on click.Group)
        if not args:
            return f"{' '.join(path)}: no subcommand"
        name = args.pop(0)
        sub = command.get_command(typer.Context(command), name)
        if sub is None:
            return f"{' '.join(path)} has no subcommand {name!r}"
        command, path = sub, [*path, name]
    if path == ["mirage", "run"] and "--role" in args:
        index = args.index("--role")
        value = args[index + 1] if index + 1 < len(args) else None
        if value not in RUN_ROLES:
            return f"--role {value}: not one of {RUN_ROLES}"
    try:  # the command's own parser: unknown options, missing values, bad choices and types all raise here
        command.make_context(" ".join(path), args, resilient_parsing=False)
    except typer.TyperException as exc:
        return f"{' '.join(path)} {' '.join(args)}: {exc.format_message()}"
    return None


def test_the_command_check_can_fail() -> None:
    """The command check rejects a wrong flag, a wrong role and a missing subcommand, and accepts real commands."""
    assert run_command_problem(["run", "--role", "web", "--http"]) is None
    assert run_command_problem(["db", "upgrade"]) is None
    assert run_command_problem(["run", "--htttp"]) is not None
    assert run_command_problem(["run", "--role", "gardener"]) is not None
    assert run_command_problem(["db", "migrate"]) is not None
    assert run_command_problem(["db"]) is not None
    assert run_command_problem(["run", "web"]) is not None
    assert run_command_problem(["run", "--port", "3000"]) is None
    assert run_command_problem(["run", "--port"]) is not None


def deploy_commands() -> dict[str, list[str]]:
    """Every `mirage` command line the deploy files run, by where it is."""
    found: dict[str, list[str]] = {}
    for name, service in mirage_services().items():
        command = service.get("command")
        assert isinstance(command, list), f"compose {name}: command must be a list (exec form)"
        found[f"compose {name}"] = command
    for obj in k8s_objects():
        if obj["kind"] in ("Deployment", "Job"):
            for container in containers(obj):
                assert "command" not in container, "k8s: use args (the image's ENTRYPOINT is `mirage`)"
                found[f"k8s {obj['metadata']['name']}/{container['name']}"] = container["args"]
    instructions = [line for stage in dockerfile_stages() for line in stage]
    entrypoint = [yaml.safe_load(line.split(None, 1)[1]) for line in instructions if line.startswith("ENTRYPOINT")]
    cmd = [yaml.safe_load(line.split(None, 1)[1]) for line in instructions if line.startswith("CMD")]
    assert entrypoint == [["mirage"]], "the image's ENTRYPOINT is mirage (exec form)"
    found["Dockerfile CMD"] = cmd[-1]
    return found


@pytest.mark.parametrize(("where", "args"), sorted(deploy_commands().items()))
def test_every_deploy_command_is_offered_by_the_cli(where: str, args: list[str]) -> None:
    """Each command a deploy file runs is a real `mirage` subcommand with flags and a role the CLI offers."""
    assert run_command_problem(args) is None, where


def test_each_role_runs_where_it_should() -> None:
    """Compose and Kubernetes both run web (with --http), worker and scheduler, plus a `db upgrade` migration."""
    for prefix in ("compose", "k8s"):
        commands = [args for where, args in deploy_commands().items() if where.startswith(prefix)]
        roles = {args[args.index("--role") + 1] for args in commands if "--role" in args}
        assert roles == {"web", "worker", "scheduler"}, prefix
        assert ["db", "upgrade"] in commands, prefix
        web = [args for args in commands if "--role" in args and args[args.index("--role") + 1] == "web"]
        assert web and all("--http" in args for args in web), prefix


# --- compose ------------------------------------------------------------------------------------------------------


def test_compose_runs_postgres_with_a_healthcheck_and_a_named_volume() -> None:
    """PostgreSQL runs from a pinned image (a version tag, never latest), checks itself with pg_isready and keeps its
    data in a named volume declared at the top level."""
    spec = compose()
    postgres = spec["services"]["postgres"]
    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres" and re.match(r"^\d+\.\d+", tag), postgres["image"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volumes = [v.split(":")[0] for v in postgres["volumes"]]
    assert volumes and all(v in spec["volumes"] for v in volumes)
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_compose_roles_share_one_image_and_wait_for_the_migration() -> None:
    """web, worker and scheduler are built from the one Dockerfile, read .env, and start only after the migrate
    service finished successfully, which itself waits for a healthy PostgreSQL."""
    services = mirage_services()
    assert set(services) == {"migrate", "web", "worker", "scheduler"}
    assert len({(s["image"], s["build"]["dockerfile"]) for s in services.values()}) == 1
    for name, service in services.items():
        build = (COMPOSE.parent / service["build"]["context"]).resolve()
        assert (build / service["build"]["dockerfile"]).resolve() == DOCKERFILE
        assert [(COMPOSE.parent / p).resolve() for p in service["env_file"]] == [ROOT / ".env"], name
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for service in compose()["services"].values():
        assert set(service.get("depends_on", {})) <= set(compose()["services"])
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def compose_healthchecks() -> dict[str, list[str]]:
    return {name: s["healthcheck"]["test"] for name, s in mirage_services().items() if "healthcheck" in s}


def test_compose_healthchecks_probe_served_paths_on_the_right_port() -> None:
    """web checks /readyz on HTTP_PORT (it serves HTTP events); worker and scheduler check /healthz on HEALTH_PORT,
    all through the image's deploy/healthcheck.py with a probe path the servers route."""
    checks = compose_healthchecks()
    assert set(checks) == {"web", "worker", "scheduler"}
    for name, test in checks.items():
        assert test[:3] == ["CMD", "python", "/opt/mirage/healthcheck.py"], name
        path, flag, variable = test[3:]
        assert path in PROBE_PATHS and flag == "--port-from", name
        assert variable == ("HTTP_PORT" if name == "web" else "HEALTH_PORT"), name
    assert checks["web"][3] == READYZ_PATH
    assert {checks["worker"][3], checks["scheduler"][3]} == {HEALTHZ_PATH}


def test_compose_database_url_points_at_the_postgres_service() -> None:
    """The roles reach the compose database: DATABASE_URL overrides .env with the postgres service's host."""
    for name, service in mirage_services().items():
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://mirage:") and "@postgres:5432/mirage" in url, name


# --- kubernetes ---------------------------------------------------------------------------------------------------


def test_kustomization_lists_existing_files_of_known_kinds() -> None:
    """kustomization.yaml is a Kustomization whose every resource file exists and holds objects of known kinds with
    the right apiVersion and a name."""
    spec = kustomization()
    assert (spec["apiVersion"], spec["kind"]) == ("kustomize.config.k8s.io/v1beta1", "Kustomization")
    names = spec["resources"]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    for obj in k8s_objects():
        assert obj["kind"] in K8S_KINDS, obj["kind"]
        assert obj["apiVersion"] == K8S_KINDS[obj["kind"]], obj["kind"]
        assert obj["metadata"]["name"]
    kinds = sorted(o["kind"] for o in k8s_objects())
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "Deployment", "Job", "Secret", "Service"]


def test_k8s_images_are_the_kustomized_mirage_image() -> None:
    """Every container runs the image the kustomization's `images` entry rewrites (one place to set the tag)."""
    names = {entry["name"] for entry in kustomization()["images"]}
    assert names == {"mirage"}
    for obj in k8s_objects():
        if obj["kind"] in ("Deployment", "Job"):
            assert {c["image"] for c in containers(obj)} == names, obj["metadata"]["name"]


def port_variable(args: list[str]) -> str:
    """The setting holding the port a role's probes reach: HTTP_PORT with --http, else the side port."""
    return "HTTP_PORT" if "--http" in args else "HEALTH_PORT"


def test_k8s_deployments_probe_and_port_per_role() -> None:
    """web: several replicas, liveness on /healthz and readiness on /readyz at HTTP_PORT; worker and scheduler the
    same at HEALTH_PORT; the scheduler one replica, Recreate. Probe ports name a declared container port whose number
    is the ConfigMap's setting."""
    config = k8s_object("ConfigMap", "mirage-config")["data"]
    found = deployments()
    assert set(found) == {"mirage-web", "mirage-worker", "mirage-scheduler"}
    assert found["mirage-web"]["spec"]["replicas"] >= 2
    assert found["mirage-worker"]["spec"]["replicas"] >= 1
    assert found["mirage-scheduler"]["spec"]["replicas"] == 1
    assert found["mirage-scheduler"]["spec"]["strategy"]["type"] == "Recreate"
    for name, obj in found.items():
        (container,) = containers(obj)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        variable = port_variable(container["args"])
        assert list(ports.values()) == [int(config[variable])], name
        assert container["livenessProbe"]["httpGet"]["path"] == HEALTHZ_PATH, name
        assert container["readinessProbe"]["httpGet"]["path"] == READYZ_PATH, name
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if probe in container:
                get = container[probe]["httpGet"]
                assert get["path"] in PROBE_PATHS, (name, probe)
                assert get["port"] in ports or get["port"] in ports.values(), (name, probe)
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert obj["spec"]["selector"]["matchLabels"].items() <= labels.items(), name


def test_k8s_pods_run_non_root_read_only_with_resources() -> None:
    """Every pod runs as a non-root user with no privilege escalation, a read-only root file system (a writable
    emptyDir at /tmp), all capabilities dropped, and CPU and memory requests and limits."""
    for obj in k8s_objects():
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        volumes = {v["name"] for v in pod.get("volumes", [])}
        for container in containers(obj):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (obj["metadata"]["name"], kind)
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in volumes


def test_k8s_pods_read_settings_from_the_configmap_and_secret() -> None:
    """Each pod takes its settings from the ConfigMap and the Secret of this kustomization, by name."""
    names = {(o["kind"], o["metadata"]["name"]) for o in k8s_objects()}
    for obj in k8s_objects():
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        for container in containers(obj):
            refs = {("ConfigMap", e["configMapRef"]["name"]) for e in container["envFrom"] if "configMapRef" in e}
            refs |= {("Secret", e["secretRef"]["name"]) for e in container["envFrom"] if "secretRef" in e}
            assert {kind for kind, _ in refs} == {"ConfigMap", "Secret"}
            assert refs <= names, refs - names


def test_k8s_service_routes_to_the_web_port() -> None:
    """The Service selects the web pods and targets their HTTP container port by name."""
    service = k8s_object("Service", "mirage-web")
    web = deployments()["mirage-web"]
    labels = web["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"
    (container,) = containers(web)
    targets = {p["targetPort"] for p in service["spec"]["ports"]}
    assert targets == {p["name"] for p in container["ports"]}


def test_k8s_secret_is_a_template_of_placeholders() -> None:
    """The Secret holds placeholders only (REPLACE_ME), never a real token or password."""
    secret = k8s_object("Secret", "mirage-secrets")
    assert "data" not in secret, "use stringData placeholders; base64 data would hide what is in it"
    values = secret["stringData"]
    assert {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(values)
    assert all("REPLACE_ME" in value for value in values.values()), values


def test_k8s_migration_job_runs_db_upgrade_once() -> None:
    """The migration Job runs `mirage db upgrade`, retries a few times, and is removed after it finished."""
    job = k8s_object("Job", "mirage-migrate")
    (container,) = containers(job)
    assert container["args"] == ["db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    assert 0 < job["spec"]["backoffLimit"] <= 10
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_k8s_config_and_secret_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded as the environment, the ConfigMap and Secret values pass Settings' own validation (ports, time zone,
    weekday, log level), so a pod does not stop at start on a bad setting."""
    config = k8s_object("ConfigMap", "mirage-config")["data"]
    secret = k8s_object("Secret", "mirage-secrets")["stringData"]
    assert all(isinstance(value, str) for value in config.values()), "ConfigMap values must be strings"
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.http_port == int(config["HTTP_PORT"])
    assert settings.database_url == secret["DATABASE_URL"]


# --- variables ----------------------------------------------------------------------------------------------------


def named_variables() -> dict[str, set[str]]:
    """Every environment variable each deploy file names, by file."""
    found: dict[str, set[str]] = {}
    text = COMPOSE.read_text(encoding="utf-8")
    names = set(VARIABLE.findall(text))
    for service in compose()["services"].values():
        environment = service.get("environment", {})
        names |= set(environment) if isinstance(environment, dict) else {e.split("=")[0] for e in environment}
        test = service.get("healthcheck", {}).get("test", [])
        names |= {test[i + 1] for i, arg in enumerate(test) if arg == "--port-from"}
    found["compose.yaml"] = names
    for obj in k8s_objects():
        names = set()
        if obj["kind"] == "ConfigMap":
            names |= set(obj["data"])
        if obj["kind"] == "Secret":
            names |= set(obj["stringData"])
            raw = (K8S / "secret.yaml").read_text(encoding="utf-8")
            names |= set(re.findall(r"^\s*#\s*([A-Z][A-Z0-9_]*):", raw, re.MULTILINE))  # commented alternatives
        if obj["kind"] in ("Deployment", "Job"):
            names |= {e["name"] for c in containers(obj) for e in c.get("env", [])}
        found.setdefault("k8s", set()).update(names)
    env_instructions = [line for stage in dockerfile_stages() for line in stage if line.startswith("ENV ")]
    found["Dockerfile"] = {m for line in env_instructions for m in re.findall(r"([A-Z][A-Z0-9_]*)=", line)}
    found["healthcheck.py"] = set(healthcheck.DEFAULT_PORTS)
    found[".env.example"] = set(env_example())
    return found


def test_every_named_variable_is_a_setting_or_documented() -> None:
    """No deploy file names a variable Mirage would ignore: each is a setting (bot.settings, or reserved for a branch
    of issue 10) or a documented non-setting such as POSTGRES_PASSWORD."""
    found = named_variables()
    assert {"DATABASE_URL", "HTTP_PORT", "POSTGRES_PASSWORD"} <= found["compose.yaml"]
    assert {"SLACK_BOT_TOKEN", "HTTP_PORT", "HEALTH_PORT"} <= found["k8s"]
    for where, names in found.items():
        unknown = names - KNOWN - set(NON_SETTINGS)
        assert not unknown, f"{where} names {sorted(unknown)}: neither a setting nor in NON_SETTINGS"
    assert found[".env.example"] - KNOWN == ENV_EXAMPLE_NON_SETTINGS


def test_env_example_lists_every_setting_with_a_comment() -> None:
    """.env.example has a line for every setting (and every reserved one), each under a one-line comment."""
    entries = env_example()
    missing = KNOWN - set(entries)
    assert not missing, f".env.example lacks {sorted(missing)}"
    for name, (_, _, comment) in entries.items():
        assert comment.startswith("# ") and not ENV_LINE.match(comment.removeprefix("# ")), f"{name}: no comment"


def test_env_example_holds_safe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied to .env unchanged, .env.example loads (Settings validates it) to exactly the defaults: console mode,
    a local SQLite file, no token set; POSTGRES_PASSWORD is a placeholder."""
    for name in KNOWN:
        monkeypatch.delenv(name, raising=False)
    loaded = Settings(_env_file=ENV_EXAMPLE).model_dump()  # type: ignore[call-arg]
    defaults = Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    for field, default in defaults.items():
        value = loaded[field]
        unset = default is None and value == ""  # `SLACK_BOT_TOKEN=`: empty, which Mirage treats as unset
        assert value == default or unset, f"{env_name(field)}={value!r} in .env.example; the default is {default!r}"
    assert not Settings(_env_file=ENV_EXAMPLE).has_slack_tokens  # type: ignore[call-arg]
    entries = env_example()
    assert entries["POSTGRES_PASSWORD"][0] == "change-me"
    assert not [n for n, (v, active, _) in entries.items() if active and ("TOKEN" in n or "SECRET" in n) and v]


def test_port_defaults_agree_with_the_settings() -> None:
    """The health check's fallback ports are the settings' defaults, so the image's HEALTHCHECK finds the server."""
    assert healthcheck.DEFAULT_PORTS["HTTP_PORT"] == Settings.model_fields["http_port"].default
    expected = Settings.model_fields["health_port"].default
    assert healthcheck.DEFAULT_PORTS["HEALTH_PORT"] == expected
    assert int(env_example()["HEALTH_PORT"][0]) == expected
    assert int(env_example()["HTTP_PORT"][0]) == healthcheck.DEFAULT_PORTS["HTTP_PORT"]


# --- Dockerfile ---------------------------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_from_the_lock_and_non_root() -> None:
    """A builder stage installs requirements.lock with --require-hashes (wheels only) and Mirage with --no-deps; the
    runtime stage copies the virtual environment, installs nothing, runs as a numeric non-root user and has a
    HEALTHCHECK on a served probe path."""
    _, builder, runtime = dockerfile_stages()
    assert builder[0].split()[-2:] == ["AS", "builder"]
    assert runtime[0].split()[-2:] == ["AS", "runtime"]
    runs = " && ".join(line for line in builder if line.startswith("RUN"))
    assert re.search(r"pip install --require-hashes --only-binary=:all: -r requirements\.lock", runs), runs
    assert re.search(r"pip install --no-deps \.(\s|$)", runs), runs
    assert "COPY requirements.lock ./" in builder
    assert not [line for line in runtime if re.search(r"pip install|apt-get install|gcc|build-essential", line)]
    assert any(line.startswith("COPY --from=builder /opt/mirage /opt/mirage") for line in runtime)
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    (check,) = [line for line in runtime if line.startswith("HEALTHCHECK")]
    exec_form = yaml.safe_load(check.split("CMD", 1)[1])
    assert exec_form[:2] == ["python", "/opt/mirage/healthcheck.py"] and exec_form[2] in PROBE_PATHS
    assert any("deploy/healthcheck.py /opt/mirage/healthcheck.py" in line for line in runtime)


def test_dockerfile_python_is_the_lock_python() -> None:
    """The base image's Python minor version is the one the lock is resolved for (`# python:` in its header)."""
    (arg,) = [line for line in dockerfile_stages()[0] if line.startswith("ARG PYTHON_IMAGE=")]
    image = arg.split("=", 1)[1]
    assert re.fullmatch(r"python:(\d+\.\d+)(\.\d+)?-slim(-\w+)?", image), image
    tag = image.split(":")[1]
    assert tag.startswith((lock.LOCK_PYTHON + "-", lock.LOCK_PYTHON + ".")), f"{image}: not Python {lock.LOCK_PYTHON}"
    for path in (lock.RUNTIME_LOCK, lock.DEV_LOCK):
        assert f"{lock.PYTHON_LINE}{lock.LOCK_PYTHON}\n" in path.read_text(encoding="utf-8")


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build() -> None:
    """.dockerignore excludes .env, the virtual environment, git and local databases, but not what the image needs."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert {".env", ".venv", ".git", "*.db"} <= ignored
    needed = {"requirements.lock", "pyproject.toml", "README.md", "bot", "rules", "deploy", "deploy/healthcheck.py"}
    assert not needed & ignored
    copied = [shlex.split(line)[1] for stage in dockerfile_stages() for line in stage
              if line.startswith("COPY ") and "--from" not in line]
    for source in copied:
        assert (ROOT / source).exists(), source


def test_readme_points_at_env_example_and_the_lock_command() -> None:
    """The README's set-up starts from .env.example and names the command that regenerates the lock files."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "cp .env.example .env" in readme
    assert lock.COMMAND in readme
    assert "docker compose --env-file .env -f deploy/compose.yaml" in readme
