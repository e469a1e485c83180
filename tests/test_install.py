"""smsc-soap as a user gets it: the sdist and the wheel, built and installed with no network.

The sdist is built from a clean copy of this checkout (no stale build/ or egg-info can leak in),
the wheel from the unpacked sdist, as ``python -m build`` does. Installs go into fresh virtual
environments without pip (``pip --target``, no index, no dependencies); the dependencies come
from this environment's site-packages as a plain path in a ``.pth``, so nothing is downloaded.
"""
from __future__ import annotations

import configparser
import email.parser
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path
from typing import Dict, List, Set

import pytest

from support.servers import Responder, soap_answer

ROOT = Path(__file__).resolve().parent.parent
# What the sdist carries besides the package: a user can run the tests from it.
SDIST_FOLDERS = ("tests", "cassettes", "wsdl", "scripts", "bench", "docs")
SDIST_FILES = ("LICENSE", "README.rst", "pyproject.toml", ".ci/run", "scripts/check")
# A few of the project's own tests, run from the unpacked sdist against the package installed from it.
SDIST_TESTS = ("tests/test_params.py", "tests/sandbox/test_message.py", "tests/test_wsdl.py")
# Not copied into the clean tree the sdist is built from: the checkout's state, not the project.
NOT_THE_PROJECT = {".git", "build", "dist", ".hypothesis", ".pytest_cache", ".mypy_cache"}
# The one pytest11 entry point, once helper kit's smsc_soap/testing/plugin.py exists.
PLUGIN = "smsc_soap.testing.plugin"

PROGRAM = """
import sys, smsc_soap
assert "site-packages" in smsc_soap.__file__, smsc_soap.__file__
client = smsc_soap.Client(login="alex", psw="123", url=sys.argv[1])
print(client.get_balance().balance, smsc_soap.__file__)
"""


def _ignore(folder: str, names: List[str]) -> Set[str]:
    top = Path(folder).resolve() == ROOT
    return {n for n in names if n == "__pycache__" or n.endswith(".egg-info")
            or (top and (n in NOT_THE_PROJECT or n.startswith(".venv")))}


def _build(hook: str, source: Path, out: Path) -> Path:
    """Call setuptools' PEP 517 hook with this environment's setuptools: nothing to download."""
    out.mkdir(parents=True, exist_ok=True)
    code = f"import sys; from setuptools import build_meta; print(build_meta.{hook}(sys.argv[1]))"
    run = subprocess.run([sys.executable, "-c", code, str(out)], cwd=source, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out / run.stdout.strip().splitlines()[-1]


def _unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.9.17+ .. 3.11.4+ as a backport
            archive.extractall(into, filter="data")
        else:  # pragma: no cover - our own archive, just built
            archive.extractall(into)
    [tree] = into.iterdir()
    return tree


def _fresh_venv(home: Path, project: Path) -> Path:
    """A venv with ``project`` (a wheel or a source tree) installed offline; its python."""
    venv.create(home / "venv", with_pip=False)
    python = home / "venv" / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
         "--target", str(site), str(project)],
        capture_output=True, text=True, cwd=home)
    assert install.returncode == 0, install.stdout + install.stderr
    # The dependencies (zeep, lxml, requests, pytest...), as a plain path: no .pth of ours is processed.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _offline_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(http_proxy="", https_proxy="", no_proxy="*")
    return env


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clean = tmp_path_factory.mktemp("checkout") / "smsc-soap"
    shutil.copytree(ROOT, clean, ignore=_ignore)
    return _build("build_sdist", clean, tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build("build_wheel", _unpack(sdist, tmp_path_factory.mktemp("unpacked")),
                  tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; its python."""
    return _fresh_venv(tmp_path_factory.mktemp("fresh"), wheel)


def _wheel_names(wheel: Path) -> List[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [path] = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
        return archive.read(path).decode("utf-8")


# --- the installed package ----------------------------------------------------------------------


def test_the_installed_package_ships_the_wsdl(installed: Path) -> None:
    site = Path(subprocess.check_output(
        [installed, "-c", "import smsc_soap, os; print(os.path.dirname(smsc_soap.__file__))"],
        text=True, cwd=installed.parent).strip())
    assert (site / "wsdl" / "soap.wsdl").is_file()
    assert not str(site).startswith(str(ROOT)), "imported from the source tree, not the install"


def test_the_installed_client_works_offline(installed: Path, responder: Responder, tmp_path: Path) -> None:
    responder.answer(soap_answer(responder.url, "get_balance", "<balance>42.00</balance>"))
    run = subprocess.run([installed, "-c", PROGRAM, responder.url], capture_output=True, text=True,
                         cwd=tmp_path, env=_offline_env(), timeout=120)
    assert run.returncode == 0, run.stderr
    balance, location = run.stdout.split()
    assert balance == "42.00"
    assert location.startswith(str(installed.parent.parent))
    # One POST, no GET: the WSDL came from inside the package.
    assert [r.method for r in responder.requests] == ["POST"]


def test_the_pytest_plugins_load_light() -> None:
    """Every pytest run of every user loads our plugins: they must not pull in zeep or vcrpy."""
    code = ("import sys, smsc_soap.testing.plugin, smsc_soap.pytest_plugin, smsc_soap.testing, smsc_soap; "
            "print(sorted(m for m in ('zeep', 'vcr', 'requests', 'lxml') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


# --- the wheel -------------------------------------------------------------------------------------


def test_the_wheel_holds_the_package_the_wsdl_and_the_type_marker_only(wheel: Path) -> None:
    names = set(_wheel_names(wheel))
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "smsc_soap").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert modules - names == set(), "a module of smsc_soap/ is missing: list its package in pyproject.toml"
    assert {"smsc_soap/wsdl/soap.wsdl", "smsc_soap/py.typed"} <= names
    assert {n.split("/")[0] for n in names} == {"smsc_soap", wheel.name.split("-py3")[0] + ".dist-info"}
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_wheel_metadata(wheel: Path) -> None:
    import smsc_soap

    meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert meta["Version"] == smsc_soap.__version__  # the one version source
    assert meta["Requires-Python"] == ">=3.9"
    assert meta["License-Expression"] == "MIT"
    classifiers = meta.get_all("Classifier", [])
    assert {"Typing :: Typed", "Framework :: Pytest", "Operating System :: OS Independent"} <= set(classifiers)
    assert sorted(set(meta.get_all("Provides-Extra", []))) == [
        "async", "celery", "cli", "dev", "docs", "otel", "test", "testing"]
    requires = meta.get_all("Requires-Dist", [])
    assert [r.split(";")[0] for r in requires if 'extra == "cli"' in r] == ["tqdm>=4.66"]  # the progress bar
    celery = sorted(re.split("[<>=]", r.split(";")[0])[0] for r in requires if 'extra == "celery"' in r)
    assert celery == ["celery", "redis"]  # smsc_soap.celery and smsc_soap.limits.RedisLimits
    testing = sorted(r.split(";")[0] for r in requires if 'extra == "testing"' in r)
    assert [re.split("[<>=]", r)[0] for r in testing] == ["pytest", "vcrpy"]  # users' tests: no more
    assert 'smsc-soap[dev]; extra == "test"' in requires  # the old name, for old instructions


def test_the_wheel_claims_the_pythons_that_scripts_check_tests(wheel: Path) -> None:
    """Every Python the package claims is tested: the oldest and the newest claimed are the two
    scripts/check runs the suite on, and the oldest is the Requires-Python floor."""
    meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    claimed = sorted((tuple(int(p) for p in c.rsplit(" ", 1)[1].split(".")) for c in meta.get_all("Classifier", [])
                      if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)))
    assert claimed == [(3, minor) for minor in range(claimed[0][1], claimed[-1][1] + 1)], "a gap in the range"
    floor = meta["Requires-Python"].replace(">=", "")
    assert floor == "%d.%d" % claimed[0]
    script = (ROOT / "scripts" / "check").read_text(encoding="utf-8")
    [tested] = re.findall(r"^PYTHONS=\(([^)]*)\)", script, re.MULTILINE)
    assert tested.split() == ["%d.%d" % claimed[0], "%d.%d" % claimed[-1]]


def test_scripts_check_says_loudly_that_a_python_is_missing_and_fails_if_none_is_found(tmp_path: Path) -> None:
    env = {**_offline_env(), "SMSC_CHECK_PYTHONS": "3.97 3.98", "PYENV_ROOT": str(tmp_path)}
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check")], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode == 1
    for version in ("3.97", "3.98"):
        assert f"!!! Python {version} not found: its tests did NOT run !!!" in run.stdout
        assert not (ROOT / f".venv-{version}").exists()
    assert "nothing was checked" in run.stdout


@pytest.mark.xfail(not (ROOT / "smsc_soap" / "testing" / "plugin.py").is_file(), strict=True,
                   reason="the one-entry form waits for helper kit's smsc_soap/testing/plugin.py")
def test_the_wheel_has_one_pytest_plugin_and_the_command(wheel: Path) -> None:
    entry_points = configparser.ConfigParser(delimiters=("=",))
    entry_points.optionxform = str  # type: ignore[assignment,method-assign]
    entry_points.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {"smsc-soap": "smsc_soap.cli:main"}
    assert dict(entry_points["pytest11"]) == {"smsc_soap": PLUGIN}


# --- the sdist -------------------------------------------------------------------------------------


def test_the_sdist_holds_the_whole_project(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    expected = {p.relative_to(ROOT).as_posix() for folder in SDIST_FOLDERS if (ROOT / folder).is_dir()
                for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    expected |= {f for f in SDIST_FILES if (ROOT / f).is_file()}
    assert expected - names == set()
    assert {"tests/sandbox/php/stub_server.php", "cassettes/get_balance.yaml", "LICENSE"} <= names


def test_the_sdists_own_tests_pass_against_the_package_installed_from_it(
        sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = _unpack(sdist, tmp_path_factory.mktemp("sdist-tests"))
    python = _fresh_venv(tree.parent, tree)
    shutil.rmtree(tree / "smsc_soap")  # the tests must import the installed package, not these sources
    missing = [t for t in SDIST_TESTS if not (tree / t).is_file()]
    assert not missing, f"{missing} are gone: pick other quick tests for SDIST_TESTS"
    run = subprocess.run([python, "-m", "pytest", "-q", "-x", *SDIST_TESTS], cwd=tree,
                         capture_output=True, text=True, env=_offline_env(), timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"^\d+ passed", run.stdout.splitlines()[-1]), run.stdout[-500:]


# --- a user's program, type-checked against the installed wheel -----------------------------------

USER_PROGRAM = '''
"""A user's program: everything it touches of smsc-soap must have a type, none of them Any."""
from __future__ import annotations

import datetime
import decimal
from typing import Optional, Tuple, Union

import smsc_soap
from smsc_soap import ApiError, Client, DeliveryStatus, SendOutcomeUnknown, SmscError


def main() -> None:
    with Client(login="alex", psw="123") as client:
        try:
            sent = client.send_sms(["79991234567", "79991234568"], "Hello")
        except SendOutcomeUnknown as unknown:
            reveal_type(client.reconcile(unknown))
            return
        reveal_type(sent)
        message_id: str = sent.id
        parts: Optional[int] = sent.cnt
        spent: Optional[decimal.Decimal] = sent.cost
        refused: Tuple[smsc_soap.PhoneError, ...] = sent.errors
        status = client.get_status("79991234567", message_id)
        reveal_type(status)
        state: Union[DeliveryStatus, int, None] = status.status
        when: Optional[datetime.datetime] = status.last_date
        balance: decimal.Decimal = client.get_balance().balance
        reveal_type(client.get_balance().balance)
        cost = client.get_sms_cost("79991234567", "Hello")
        reveal_type(cost.cost)
        print(parts, spent, refused, state, when, balance)
    try:
        Client(login="alex", psw="123").get_balance()
    except ApiError as error:
        code: int = error.code
        reveal_type(error.code)
        print(code, error.operation)
    except SmscError as error:
        reveal_type(error)
'''


def test_a_users_program_type_checks_against_the_wheel_with_no_any(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(textwrap.dedent(USER_PROGRAM), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--disallow-any-expr", "--no-incremental",
         "--python-executable", str(installed), "user.py"],
        cwd=tmp_path, capture_output=True, text=True, env=_offline_env(), timeout=300)
    revealed = re.findall(r'note: Revealed type is "([^"]*)"', run.stdout)

    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert errors == [], run.stdout
    assert len(revealed) == USER_PROGRAM.count("reveal_type("), run.stdout
    assert [t for t in revealed if "Any" in t] == [], revealed
