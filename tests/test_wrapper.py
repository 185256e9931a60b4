"""`./formcheck`, the two README commands from a fresh clone: set-up runs only when the stamp
(hash of requirements.lock, pyproject.toml, .ci/apt-packages.txt) is missing or stale, then
the command runs; `./formcheck test` is the suite; .ci/run calls exactly the README's command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_SETUP = """#!/usr/bin/env bash
# stands in for the real set-up (apt, pip): records that it ran, makes a .venv, stamps it
set -euo pipefail
cd "$(dirname "$0")/.."
echo ran >> setup-runs.txt
mkdir -p .venv/bin
printf '#!/usr/bin/env bash\\necho "formcheck $*"\\n' > .venv/bin/formcheck
printf '#!/usr/bin/env bash\\necho "python $*"\\n' > .venv/bin/python
chmod +x .venv/bin/formcheck .venv/bin/python
cat requirements.lock pyproject.toml .ci/apt-packages.txt | sha256sum | cut -d' ' -f1 > .venv/.formcheck-setup
"""


def make_clone(tmp_path: Path) -> Path:
    root = tmp_path / "clone"
    (root / "scripts").mkdir(parents=True)
    (root / ".ci").mkdir()
    shutil.copy(ROOT / "formcheck", root / "formcheck")
    for name in ("requirements.lock", "pyproject.toml", ".ci/apt-packages.txt"):
        shutil.copy(ROOT / name, root / name)
    (root / "scripts" / "setup.sh").write_text(FAKE_SETUP)
    return root


def run(root: Path, *args: str, cwd: Path | None = None) -> str:
    out = subprocess.run([str(root / "formcheck"), *args], cwd=cwd or root, capture_output=True,
                         text=True, timeout=60, check=True)
    return out.stdout


def runs(root: Path) -> int:
    f = root / "setup-runs.txt"
    return len(f.read_text().splitlines()) if f.exists() else 0


def test_setup_runs_once_then_only_when_the_pinned_files_change(tmp_path):
    root = make_clone(tmp_path)
    assert run(root, "analyze", "clip.mp4", "--exercise", "plank") == \
        "formcheck analyze clip.mp4 --exercise plank\n"
    assert runs(root) == 1
    # second run, from another folder: straight to the command
    assert run(root, "--version", cwd=tmp_path) == "formcheck --version\n"
    assert runs(root) == 1
    # a new pin: set up again, once
    with open(root / "requirements.lock", "a") as f:
        f.write("newpkg==1.0\n")
    run(root, "--version")
    run(root, "--version")
    assert runs(root) == 2
    (root / ".ci" / "apt-packages.txt").write_text("espeak-ng\n")
    run(root, "--version")
    assert runs(root) == 3
    # a lost .venv is set up again
    shutil.rmtree(root / ".venv")
    run(root, "--version")
    assert runs(root) == 4


def test_test_runs_pytest_in_the_venv_with_its_arguments(tmp_path):
    root = make_clone(tmp_path)
    assert run(root, "test", "tests/test_x.py", "-q") == "python -m pytest tests/test_x.py -q\n"
    run(root, "setup")  # on demand, whatever the stamp says
    assert runs(root) == 2


def test_ci_calls_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", section)
    assert len(commands) == 2 and commands[0].startswith("./formcheck analyze ")
    assert commands[1] == "./formcheck test"
    ci = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[1] in ci
