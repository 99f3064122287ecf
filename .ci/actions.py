#!/usr/bin/env python3
"""Runs the documented CI on this machine, the way its runner would, against the simulator.

`.ci/run` uses it so that the GitHub workflow and composite action (action.yml) and the GitLab job
that docs/ci.md shows are executed, not only linted:

    actions.py github WORKFLOW.yml --job JOB --context CONTEXT.json
    actions.py action action.yml --with KEY=VALUE ... --context CONTEXT.json
    actions.py gitlab GITLAB-CI.yml --job JOB --context CONTEXT.json

CONTEXT.json gives what a real runner would: `vars`, `secrets`, `env` (added to every step),
`github` (server_url, repository, ...), `runner` (os, arch, temp), `actions` (`local`: the names
under which `uses:` means this repository's action; `inputs`: inputs set for it that only GitHub
could honour, printed as they are applied) and `cache` (a directory standing in for the Actions
cache).

`run:` steps and GitLab `script:` lines run in bash exactly as written, with `${{ }}` expressions
evaluated as GitHub evaluates them (the subset the docs use: contexts, `==`, `!=`, `&&`, `||`, `!`,
`always()`, `success()`, `failure()`, `hashFiles()`). Third-party actions are stood in for:
checkout (the working tree is the checkout), cache/restore/save (a local directory, so a value kept
by one run is restored by the next), upload-sarif (the file must be SARIF 2.1.0; it is copied
aside), upload-artifact (copied aside). Anything else is an error: a step this script cannot run
is never counted as passed.

Prints one line per step and a last line `job: success` or `job: failure`; exits 0 when the job
succeeded, 1 when it failed, 2 when the workflow could not be run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

# This repository: the action that `uses:` of this project's action (context `actions.local`) runs.
REPOSITORY = Path(__file__).resolve().parent.parent

class Unsupported(Exception):
    """The workflow uses something this runner does not stand in for."""


# ---------------------------------------------------------------- expressions

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||!|\(|\)|,|\.|\[|\])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read the expression {text!r} at {text[pos:]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class Expr:
    def __init__(self, text: str, ctx: dict, status: dict):
        self.tokens = tokenize(text)
        self.i = 0
        self.ctx = ctx
        self.status = status
        self.text = text

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise Unsupported(f"expected {value!r} in {self.text!r}")
        self.i += 1
        return tok

    def parse(self):
        value = self.or_()
        if self.i != len(self.tokens):
            raise Unsupported(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return value

    def or_(self):
        left = self.and_()
        while self.peek()[1] == "||":
            self.take()
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self):
        left = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            right = self.cmp()
            left = right if truthy(left) else left
        return left

    def cmp(self):
        left = self.unary()
        while self.peek()[1] in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            equal = loose(left) == loose(right)
            left = equal if op == "==" else not equal
        return left

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "name":
            raise Unsupported(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek()[1] == "(":
            self.take("(")
            args = []
            while self.peek()[1] != ")":
                args.append(self.or_())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            return self.call(value, args)
        obj = self.ctx.get(value)
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            obj = obj.get(key) if isinstance(obj, dict) else None
        return obj

    def call(self, name, args):
        if name == "always":
            return True
        if name == "success":
            return not self.status["failed"]
        if name == "failure":
            return self.status["failed"]
        if name == "cancelled":
            return False
        if name == "contains":
            return str(args[1]).lower() in str(args[0]).lower()
        if name == "startsWith":
            return str(args[0]).lower().startswith(str(args[1]).lower())
        if name == "hashFiles":
            files = [p for pattern in args for p in Path(".").glob(str(pattern)) if p.is_file()]
            return "found" if files else ""
        raise Unsupported(f"the function {name}() is not supported")


def truthy(value) -> bool:
    return value not in (None, False, 0, 0.0, "")


def loose(value):
    if isinstance(value, str):
        return value.lower()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def evaluate(text: str, ctx: dict, status: dict):
    return Expr(text, ctx, status).parse()


def substitute(text, ctx: dict, status: dict):
    if not isinstance(text, str):
        return text

    def one(m):
        value = evaluate(m.group(1), ctx, status)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def condition(text, ctx, status) -> bool:
    if text is None:
        return not status["failed"]
    text = str(text).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(", text)
    value = truthy(evaluate(text, ctx, status))
    return value if uses_status else value and not status["failed"]


# ---------------------------------------------------------------- runner


class Runner:
    def __init__(self, context: dict, workdir: Path):
        self.context = context
        self.workdir = workdir
        self.temp = Path(context["runner"]["temp"])
        self.temp.mkdir(parents=True, exist_ok=True)
        self.cache = Path(context["cache"])
        self.cache.mkdir(parents=True, exist_ok=True)
        self.uploads = Path(context.get("uploads", self.temp / "uploads"))
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.summary = self.temp / "step-summary.md"
        self.summary.touch()

    def base_env(self, extra: dict) -> dict:
        github = self.context.get("github", {})
        runner = self.context["runner"]
        env = dict(os.environ)
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workdir),
                "GITHUB_SERVER_URL": github.get("server_url", "https://github.com"),
                "GITHUB_REPOSITORY": github.get("repository", "owner/repo"),
                "GITHUB_RUN_ID": str(github.get("run_id", "1")),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": runner.get("os", "Linux"),
                "RUNNER_ARCH": runner.get("arch", "X64"),
            }
        )
        env.update({k: str(v) for k, v in self.context.get("env", {}).items()})
        env.update({k: "" if v is None else str(v) for k, v in extra.items()})
        return env

    def run_shell(self, script: str, env: dict, label: str) -> tuple[int, dict]:
        output = Path(tempfile.mkstemp(dir=self.temp, prefix="output-")[1])
        env = dict(env, GITHUB_OUTPUT=str(output))
        with tempfile.NamedTemporaryFile("w", dir=self.temp, suffix=".sh", delete=False) as f:
            f.write(script)
            path = f.name
        print(f"::: {label}", flush=True)
        status = subprocess.call(["bash", "-e", path], env=env, cwd=self.workdir)
        return status, read_outputs(output)

    def steps(self, steps: list, ctx: dict, env: dict, action_path: Path | None) -> tuple[bool, dict]:
        """Runs steps in order; returns (failed, steps context)."""
        status = {"failed": False}
        step_ctx: dict = {}
        ctx = dict(ctx, steps=step_ctx)
        for n, step in enumerate(steps):
            label = step.get("name") or step.get("uses") or f"step {n + 1}"
            label = substitute(label, ctx, status)
            ran, failed, outputs = self.step(step, ctx, env, status, action_path, label)
            if "id" in step:
                step_ctx[step["id"]] = {
                    "outputs": outputs,
                    "outcome": "skipped" if not ran else ("failure" if failed else "success"),
                }
            if failed and not step.get("continue-on-error"):
                status["failed"] = True
            print(f"{'skipped' if not ran else ('failed ' if failed else 'ok     ')} {label}", flush=True)
        return status["failed"], step_ctx

    def step(self, step, ctx, env, status, action_path, label):
        if not condition(step.get("if"), ctx, status):
            return False, False, {}
        step_env = dict(env)
        for key, value in (step.get("env") or {}).items():
            step_env[key] = substitute(str(value), ctx, status)
        ctx = dict(ctx, env={**ctx.get("env", {}), **step_env})
        if "run" in step:
            script = substitute(step["run"], ctx, status)
            full = self.base_env(step_env)
            if action_path is not None:
                full["GITHUB_ACTION_PATH"] = str(action_path)
                full["GITHUB_ACTION_REF"] = ctx["github"].get("action_ref", "")
                full["GITHUB_ACTION_REPOSITORY"] = ctx["github"].get("action_repository", "")
            code, outputs = self.run_shell(script, full, label)
            return True, code != 0, outputs
        if "uses" in step:
            with_ = {k: substitute(str(v), ctx, status) for k, v in (step.get("with") or {}).items()}
            return (True, *self.uses(step["uses"], with_, ctx, step_env))
        raise Unsupported(f"step {label!r} has neither run nor uses")

    def uses(self, name: str, with_: dict, ctx: dict, env: dict) -> tuple[bool, dict]:
        action, _, ref = name.partition("@")
        if action in self.context.get("actions", {}).get("local", []) or name.startswith("./"):
            # What only GitHub has (attestations, Halo's quota to spare) is set by the context.
            overrides = self.context.get("actions", {}).get("inputs", {})
            for key, value in overrides.items():
                print(f"    input {key}: {value} here (on GitHub: {with_.get(key, 'its default')})", flush=True)
            with_ = {**with_, **overrides}
            return self.composite(REPOSITORY / "action.yml", with_, ctx, env, ref, action)
        if action == "actions/checkout":
            return False, {}
        if action in ("actions/cache", "actions/cache/restore", "actions/cache/save"):
            return self.cache_step(action, with_)
        if action == "github/codeql-action/upload-sarif":
            return self.upload_sarif(with_)
        if action == "actions/upload-artifact":
            return self.upload_artifact(with_)
        raise Unsupported(f"no stand-in for the action {name}")

    def composite(
        self, path: Path, with_: dict, ctx: dict, env: dict, ref: str, repository: str
    ) -> tuple[bool, dict]:
        action = yaml.safe_load(path.read_text(encoding="utf-8"))
        if action.get("runs", {}).get("using") != "composite":
            raise Unsupported(f"{path} is not a composite action")
        inputs = {}
        for key, spec in (action.get("inputs") or {}).items():
            spec = spec or {}
            if key in with_:
                inputs[key] = with_[key]
            elif spec.get("required"):
                raise Unsupported(f"the action needs the input {key}")
            else:
                inputs[key] = str(spec.get("default", ""))
        unknown = set(with_) - set(inputs)
        if unknown:
            print(f"warning: unexpected inputs {sorted(unknown)}", flush=True)
            return True, {}
        github = dict(ctx["github"], action_ref=ref, action_repository=repository)
        inner = dict(ctx, inputs=inputs, github=github)
        # The environment of the step that uses the action reaches every step of it.
        failed, steps = self.steps(action["runs"]["steps"], inner, env, path.parent)
        status = {"failed": failed}
        outputs = {}
        for key, spec in (action.get("outputs") or {}).items():
            outputs[key] = substitute(spec.get("value", ""), dict(inner, steps=steps), status)
        return failed, outputs

    def cache_step(self, action: str, with_: dict) -> tuple[bool, dict]:
        path = Path(with_["path"])
        key = with_["key"]
        outputs = {}
        if action in ("actions/cache", "actions/cache/restore"):
            hit = None
            if (self.cache / key).is_dir():
                hit = key
            else:
                for prefix in [p.strip() for p in with_.get("restore-keys", "").splitlines() if p.strip()]:
                    matches = sorted(p.name for p in self.cache.iterdir() if p.name.startswith(prefix))
                    if matches:
                        hit = matches[-1]
                        break
            if hit:
                shutil.copytree(self.cache / hit, path, dirs_exist_ok=True)
                print(f"    cache restored from {hit}", flush=True)
            outputs = {"cache-hit": "true" if hit == key else "false", "cache-matched-key": hit or ""}
        if action == "actions/cache/save":
            if not path.exists():
                print(f"    nothing to cache at {path}", flush=True)
                return False, {}
            if not (self.cache / key).exists():
                shutil.copytree(path, self.cache / key)
                print(f"    cache saved as {key}", flush=True)
        return False, outputs

    def upload_sarif(self, with_: dict) -> tuple[bool, dict]:
        path = Path(with_["sarif_file"])
        if not path.is_absolute():
            path = self.workdir / path
        log = json.loads(path.read_text(encoding="utf-8"))
        if log.get("version") != "2.1.0" or not log.get("runs"):
            print(f"    {path} is not a SARIF 2.1.0 log", flush=True)
            return True, {}
        category = with_.get("category", "")
        shutil.copy(path, self.uploads / f"sarif-{category or 'default'}.sarif")
        print(f"    SARIF with {sum(len(r.get('results', [])) for r in log['runs'])} results, category {category!r}", flush=True)
        return False, {}

    def upload_artifact(self, with_: dict) -> tuple[bool, dict]:
        target = self.uploads / f"artifact-{with_['name']}"
        target.mkdir(parents=True, exist_ok=True)
        found = False
        for pattern in with_["path"].split():
            for p in Path(self.workdir).glob(pattern) if not os.path.isabs(pattern) else [Path(pattern)]:
                if p.exists():
                    found = True
                    (shutil.copytree if p.is_dir() else shutil.copy)(p, target / p.name)
        return (not found and with_.get("if-no-files-found") == "error"), {}


def read_outputs(path: Path) -> dict:
    outputs, lines = {}, path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^([A-Za-z0-9_-]+)<<(.+)$", line)
        if m:
            key, delim, value = m.group(1), m.group(2), []
            i += 1
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
        i += 1
    return outputs


def github_job(runner: Runner, path: Path, job: str) -> bool:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = workflow["jobs"][job]
    ctx = {
        "github": runner.context.get("github", {}),
        "runner": runner.context["runner"],
        "vars": runner.context.get("vars", {}),
        "secrets": runner.context.get("secrets", {}),
        "env": {},
        "inputs": {},
        "matrix": {},
    }
    status = {"failed": False}
    env = {k: substitute(str(v), ctx, status) for k, v in (workflow.get("env") or {}).items()}
    env.update({k: substitute(str(v), ctx, status) for k, v in (spec.get("env") or {}).items()})
    ctx["env"] = env
    failed, _ = runner.steps(spec["steps"], ctx, env, None)
    return not failed


def gitlab_job(runner: Runner, path: Path, job: str) -> bool:
    pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = pipeline[job]
    variables = {k: str(v) for k, v in (pipeline.get("variables") or {}).items()}
    variables.update({k: str(v) for k, v in (spec.get("variables") or {}).items()})
    # CI/CD variables set in the project's settings win over the file's, as in GitLab.
    variables.update({k: str(v) for k, v in runner.context.get("vars", {}).items()})
    variables.update({k: str(v) for k, v in runner.context.get("secrets", {}).items()})
    variables.setdefault("CI_PROJECT_DIR", str(runner.workdir))
    env = runner.base_env(variables)
    # GitLab runs before_script and script in one shell, stopping at the first failing line.
    lines = (spec.get("before_script") or []) + (spec.get("script") or [])
    script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
    code, _ = runner.run_shell(script, env, f"{job}: {len(lines)} script lines")
    print(f"{f'failed (exit {code})' if code else 'ok     '} script", flush=True)
    failed = code != 0
    for n, line in enumerate(spec.get("after_script") or []):
        runner.run_shell(line, env, f"after_script[{n}]")
    reports = (spec.get("artifacts") or {}).get("reports") or {}
    for kind, files in reports.items():
        for name in files if isinstance(files, list) else [files]:
            if not (runner.workdir / name).is_file():
                print(f"failed  artifacts:reports:{kind} {name} was not written", flush=True)
                failed = True
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["github", "action", "gitlab"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--job")
    parser.add_argument("--with", dest="with_", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--context", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    context = json.loads(args.context.read_text(encoding="utf-8"))
    runner = Runner(context, args.workdir.resolve())
    try:
        if args.kind == "github":
            ok = github_job(runner, args.file, args.job)
        elif args.kind == "gitlab":
            ok = gitlab_job(runner, args.file, args.job)
        else:
            with_ = dict(item.split("=", 1) for item in args.with_)
            ctx = {"github": context.get("github", {}), "runner": context["runner"], "env": {}}
            failed, outputs = runner.composite(
                args.file, with_, ctx, {}, context["github"].get("action_ref", ""),
                context["github"].get("action_repository", ""),
            )
            for key, value in outputs.items():
                print(f"output {key}={value}", flush=True)
            ok = not failed
    except (Unsupported, KeyError) as e:
        print(f"actions.py: {e}", file=sys.stderr)
        return 2
    print(f"job: {'success' if ok else 'failure'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
