"""Validation of what the user types, before anything is created."""

from __future__ import annotations

import pytest

from azlin.errors import InvalidInputError
from azlin.provisioning.request import (
    GitHubRepo,
    check_region,
    check_resource_group,
    check_size,
    check_vm_name,
    parse_repo_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/hello", GitHubRepo("octo", "hello")),
        ("https://github.com/octo/hello.git", GitHubRepo("octo", "hello")),
        ("https://github.com/octo/hello/", GitHubRepo("octo", "hello")),
        ("https://github.com/Octo-Org/my.repo_2", GitHubRepo("Octo-Org", "my.repo_2")),
    ],
)
def test_accepts_https_github_urls(url: str, expected: GitHubRepo) -> None:
    assert parse_repo_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:octo/hello.git",
        "http://github.com/octo/hello",
        "https://gitlab.com/octo/hello",
        "https://user:secret@github.com/octo/hello",
        "https://github.com:443/octo/hello",
        "https://github.com/octo",
        "https://github.com/octo/hello/tree/main",
        "https://github.com/-octo/hello",
        "https://github.com/octo/--upload-pack=touch",
        "ext::sh -c touch% /tmp/pwned",
        "https://github.com/octo/hello?x=1",
        "https://github.com/octo/hello#readme",
        "https://github.com/octo/..",
        "https://github.com/octo//hello",
        "https://github.com/octo/héllo",
        "--upload-pack=evil",
        "",
    ],
)
def test_rejects_other_urls(url: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_repo_url(url)
    assert caught.value.exit_code == 2
    assert "https://github.com/OWNER/REPO" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("name", ["dev", "azlin-20261203-101010", "a", "a" * 64])
def test_accepts_vm_names(name: str) -> None:
    assert check_vm_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-dev", "dev-", "dev_box", "Dev", "a" * 65, "dev;rm", "dév", "dev box"]
)
def test_rejects_vm_names(name: str) -> None:
    with pytest.raises(InvalidInputError):
        check_vm_name(name)


def test_other_fields() -> None:
    assert check_resource_group("azlin-rg") == "azlin-rg"
    assert check_region("westeurope") == "westeurope"
    assert check_size("Standard_D2s_v3") == "Standard_D2s_v3"
    for check, value in (
        (check_resource_group, "rg."),
        (check_region, "West Europe"),
        (check_size, "D2s; rm -rf /"),
    ):
        with pytest.raises(InvalidInputError):
            check(value)
