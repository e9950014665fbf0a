"""The user's own provisioning and several repositories: what azlin builds from the command
line, compared exactly, and the refusals that come before any change."""

from __future__ import annotations

from pathlib import Path

import pytest

from azlin.ansible.runner import PlaybookRun, runner_arguments
from azlin.errors import InvalidInputError
from azlin.provisioning.extensions import (
    Extensions,
    check_extensions,
    failure_message,
    is_users_failure,
    parse_extensions,
    wrapper_plays,
)
from azlin.provisioning.repos import check_repos, role_entries

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data" / "extensions"


def test_same_repo_twice_is_folded_and_same_names_get_owner_folders() -> None:
    repos = check_repos(
        [
            "https://github.com/alice/app",
            "https://github.com/bob/app.git",
            "https://github.com/ALICE/App/",
            "https://github.com/alice/tools",
        ]
    )
    assert role_entries(repos) == [
        {"url": "https://github.com/alice/app", "dest": "alice-app"},
        {"url": "https://github.com/bob/app", "dest": "bob-app"},
        {"url": "https://github.com/alice/tools", "dest": "tools"},
    ]


def test_two_repos_that_would_share_a_folder_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"a/b-c and b/c would both be cloned to ~/b-c"):
        check_repos(
            ["https://github.com/a/b-c", "https://github.com/b/c", "https://github.com/x/c"]
        )


def test_paths_become_absolute_and_names_stay_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    found = parse_extensions(
        ["./greeter", "community.general.foo", "my_role"], "playbook.yml", ["@vars.yml", "a=b c"]
    )
    assert found == Extensions(
        roles=(str(DATA / "greeter"), "community.general.foo", "my_role"),
        playbook=str(DATA / "playbook.yml"),
        extra_vars=(f"@{DATA / 'vars.yml'}", "a=b c"),
    )


def test_the_wrapper_imports_configure_then_each_role_then_the_playbook() -> None:
    extensions = Extensions(roles=("/r/one", "two"), playbook="/p/site.yml")
    assert wrapper_plays(extensions, Path("/opt/azlin")) == [
        {
            "name": "Configure the VM with azlin's roles",
            "ansible.builtin.import_playbook": "/opt/azlin/playbooks/configure.yml",
        },
        {
            "name": "Apply your role /r/one",
            "hosts": "azlin_vms",
            "gather_facts": True,
            "tags": ["azlin_extensions"],
            "roles": [{"role": "/r/one"}],
        },
        {
            "name": "Apply your role two",
            "hosts": "azlin_vms",
            "gather_facts": True,
            "tags": ["azlin_extensions"],
            "roles": [{"role": "two"}],
        },
        {
            "name": "Run your playbook",
            "ansible.builtin.import_playbook": "/p/site.yml",
            "tags": ["azlin_extensions"],
        },
    ]


def test_user_vars_pass_through_before_azlins_own(tmp_path: Path) -> None:
    run = PlaybookRun(playbook="/x/azlin-site.yml", check=True, user_vars=("@/v.yml", "a=b c"))
    arguments = runner_arguments(run, tmp_path, Path("/opt/azlin"), {})
    assert arguments["cmdline"] == "--check --diff -e @/v.yml -e 'a=b c'"
    assert arguments["playbook"] == "/x/azlin-site.yml"


def test_a_good_role_playbook_and_vars_pass_the_syntax_check(tmp_path: Path) -> None:
    extensions = parse_extensions(
        [str(DATA / "greeter")], str(DATA / "playbook.yml"), [f"@{DATA / 'vars.yml'}"]
    )
    assert check_extensions(extensions, REPO_ROOT, {"PATH": "/usr/bin:/bin"}) == extensions


def test_a_broken_playbook_is_refused_with_where(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("- hosts: all\n  tasks:\n    - name: x\n     bad: [\n")
    with pytest.raises(InvalidInputError) as refused:
        check_extensions(parse_extensions([], str(broken), []), REPO_ROOT, {"PATH": "/usr/bin"})
    assert str(refused.value).startswith("Your roles or playbook cannot run: YAML parsing failed")
    assert f"({broken}:4:6); fix it and run again." in str(refused.value)


def test_a_failure_names_the_role_and_task_and_how_to_rerun() -> None:
    plays = ("Apply your role /r/greeter",)
    failures = ("Fail when asked to: greeter was asked to fail",)
    assert is_users_failure(plays)
    assert not is_users_failure(("Configure the azlin VMs",))
    assert failure_message("dev", Extensions(roles=("/r/greeter",)), plays, failures) == (
        "Your role /r/greeter failed at task Fail when asked to: greeter was asked to fail. "
        "The VM is otherwise ready (`azlin connect dev`); fix it and re-run it with "
        "`azlin repair dev`."
    )
