"""The CLI against bad input and odd stores: paging caps, a mistyped store path, a read-only store, a bad export path.

A read-only store is made genuinely read-only even for root: its files lose their write bits and, when the tests
run as root, the CLI runs under ``setpriv`` without the capabilities that let root write anyway.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.search.document import MAX_OFFSET, SearchRequest
from indexer.store import Store, StoreError, StoreMissing
from tests.conftest import cli_env, run_cli
from tests.test_index_pipeline import build_store

DROP_WRITE_CAPS = ["--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """An enriched store whose index is built (the first search catches up)."""
    path = tmp_path_factory.mktemp("guards") / "monitor.db"
    build_store(path)
    result = run_cli(["search", "Dzhemilev", "--json"], path)
    assert result.returncode == 0, result.stderr
    return path


# ------------------------------------------------------------------------------------------ paging caps
def test_a_huge_offset_is_refused_in_one_line_not_a_crash(db):
    result = run_cli(["search", "Dzhemilev", "--offset", "2147483647"], db)
    assert result.returncode == 2, (result.returncode, result.stderr[-500:])  # was 134: Tantivy aborted
    assert "--offset" in result.stderr and str(MAX_OFFSET) in result.stderr and "Traceback" not in result.stderr
    assert run_cli(["search", "Dzhemilev", "--offset", str(MAX_OFFSET), "--json"], db).returncode == 0
    with pytest.raises(ValueError, match="offset"):
        SearchRequest("x", offset=MAX_OFFSET + 1)


# ------------------------------------------------------------------------------------- no stray stores
@pytest.mark.parametrize("args", [
    ["search", "Dzhemilev"], ["status"], ["articles", "list"], ["articles", "show", "a1"], ["enrich"],
    ["incidents"], ["export", "x"], ["entity", "Dzhemilev"], ["reindex"], ["serve", "--port", "1"],
])
def test_read_only_commands_never_create_a_store(tmp_path, args):
    missing = tmp_path / "typo" / "monitor.db"
    result = run_cli(args, missing, timeout=60)
    assert result.returncode != 0
    assert f"no store at {missing}" in result.stderr, result.stderr[-500:]
    assert list(tmp_path.iterdir()) == []  # not even the folder


def test_init_still_creates_a_store(tmp_path):
    db = tmp_path / "new" / "monitor.db"
    assert run_cli(["init"], db).returncode == 0
    assert db.is_file()
    with pytest.raises(StoreMissing):
        Store.open(tmp_path / "other.db", create=False)
    assert not (tmp_path / "other.db").exists()


# ------------------------------------------------------------------------------------ read-only store
def _tree(root: Path) -> dict[str, tuple[int, int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def read_only_copy(db, tmp_path) -> Path:
    """A copy of the store and its index with every write bit removed (files and folders)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only copy cannot be made")
    copy = tmp_path / "ro"
    copy.mkdir()
    shutil.copy2(db, copy / "monitor.db")
    shutil.copytree(db.parent / "monitor.index", copy / "monitor.index")
    for path in [copy, *copy.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod((mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield copy / "monitor.db"
    for path in [copy, *copy.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def run_read_only(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", *DROP_WRITE_CAPS] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, sys.executable, *args], env=cli_env(db), capture_output=True, text=True,
                          timeout=240, check=False)


def test_the_copy_really_is_read_only(read_only_copy):
    probe = "open(__import__('sys').argv[1] + '/probe', 'w')"
    result = run_read_only(["-c", probe, str(read_only_copy.parent)], read_only_copy)
    assert result.returncode != 0 and "PermissionError" in result.stderr


def test_a_read_only_store_serves_status_search_and_serve(read_only_copy):
    before = _tree(read_only_copy.parent)
    status = run_read_only(["-m", "monitor", "status", "--json"], read_only_copy)
    assert status.returncode == 0, status.stderr[-800:]
    assert '"indexed": 4' in status.stdout
    search = run_read_only(["-m", "monitor", "search", "person:Dzhemilev", "--json"], read_only_copy)
    assert search.returncode == 0, search.stderr[-800:]
    assert '"total": 3' in search.stdout
    listed = run_read_only(["-m", "monitor", "articles", "list"], read_only_copy)
    assert listed.returncode == 0 and "Homes searched" in listed.stdout
    serve = (
        "from fastapi.testclient import TestClient\n"
        "from monitor.web.app import create_app\n"
        "with TestClient(create_app(public_read=True)) as c:\n"
        "    r = c.get('/api/search', params={'q': 'person:Dzhemilev'})\n"
        "    print(r.status_code, r.json()['total'], c.get('/').status_code, c.get('/api/sources').status_code)\n"
    )
    web = run_read_only(["-c", serve], read_only_copy)
    assert web.returncode == 0, web.stderr[-800:]
    assert web.stdout.split() == ["200", "3", "200", "200"]
    writes = run_read_only(["-m", "monitor", "enrich", "--all"], read_only_copy)
    assert writes.returncode == 1 and "read-only" in writes.stderr and "Traceback" not in writes.stderr
    assert _tree(read_only_copy.parent) == before


def test_a_read_only_store_without_an_index_says_so_in_one_line(read_only_copy):
    index = read_only_copy.parent / "monitor.index"
    read_only_copy.parent.chmod(0o755)
    shutil.rmtree(index)
    read_only_copy.parent.chmod(0o555)
    result = run_read_only(["-m", "monitor", "search", "Dzhemilev"], read_only_copy)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot create the Tantivy index folder {index}: Permission denied"


def test_the_explicit_read_only_open_never_writes(db, tmp_path):
    copy = tmp_path / "monitor.db"
    shutil.copy2(db, copy)
    with Store.open(copy, read_only=True) as store:
        assert store.read_only and store.count_articles()
        with pytest.raises(StoreError, match="read-only"), store.transaction() as tx:
            tx.execute("DELETE FROM articles")
    with Store.open(copy) as store:
        assert not store.read_only and sum(store.count_articles().values()) == 4


# ------------------------------------------------------------------------------------------------ export
def test_export_to_a_folder_or_an_impossible_path_is_one_plain_error(db, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for output in (tmp_path, blocker / "out.csv"):
        result = run_cli(["export", "Dzhemilev", "--output", str(output)], db)
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: cannot write the export to {output}: "), result.stderr
        assert "unexpected" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
