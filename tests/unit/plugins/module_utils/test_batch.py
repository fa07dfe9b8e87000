# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of _batch and _maintenance: the batch's option checks, when the parallel policy must change, faults."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _batch as batch
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _maintenance as mm
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError

OK = {"hosts": ["a", "b", "c"], "accept_eula": True, "max_hosts_in_maintenance": None}


@pytest.mark.parametrize("change, option", [
    ({"hosts": None}, "hosts"),
    ({"hosts": []}, "hosts"),
    ({"accept_eula": False}, "accept_eula"),
    ({"host": "esx-s"}, "host"),
    ({"hosts": [f"h{i}" for i in range(97)]}, "hosts"),
    ({"max_hosts_in_maintenance": 2}, "max_hosts_in_maintenance"),
    ({"max_hosts_in_maintenance": 0}, "max_hosts_in_maintenance"),
])
def test_bad_options_are_refused_naming_the_option(change, option):
    with pytest.raises(OptionError) as err:
        batch.check_options({**OK, **change})
    assert err.value.details["option"] == option
    assert option in err.value.message


def test_good_options_pass():
    batch.check_options(OK)
    batch.check_options({**OK, "max_hosts_in_maintenance": 3})


@pytest.mark.parametrize("effective, count, expected", [
    ({"parallel_remediation_action": {"enabled": False}}, 3, {"parallel_remediation": True, "parallel_max_hosts": 3}),
    ({}, 2, {"parallel_remediation": True, "parallel_max_hosts": 2}),
    ({"parallel_remediation_action": {"enabled": True, "max_hosts": 2}}, 3,
     {"parallel_remediation": True, "parallel_max_hosts": 3}),
    ({"parallel_remediation_action": {"enabled": True, "max_hosts": 4}}, 3, None),
    ({"parallel_remediation_action": {"enabled": True}}, 3, None),        # no limit: all of them in parallel
    ({"parallel_remediation_action": {"enabled": False}}, 1, None),       # one host needs no parallel remediation
])
def test_parallel_policy_change(effective, count, expected):
    assert batch.parallel_policy_change(effective, count) == expected


def test_the_policy_change_touches_only_parallel_remediation():
    configured = {"failure_action": {"action": "FAIL"}, "enable_quick_boot": True}
    change = batch.parallel_policy_change({"parallel_remediation_action": {"enabled": False}}, 4)
    new = pol.desired_spec(configured, {}, change)
    assert new == {**configured, "parallel_remediation_action": {"enabled": True, "max_hosts": 4}}
    assert pol.changed_fields(configured, new) == ["parallel_remediation_action"]


def test_fault_text_names_the_fault_type_and_message():
    class Timedout(Exception):
        msg = "Operation timed out: no room"

    class Bare(Exception):
        faultMessage = []

    assert mm.fault_text(Timedout()) == ("Timedout", "Operation timed out: no room")
    assert mm.fault_text(Bare()) == ("Bare", "Bare")
