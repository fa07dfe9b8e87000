#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    MissingLibraryError,
    OptionError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._fleet_compliance import (
    MAX_PARALLEL,
    FleetCheck,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    RestClient,
    TrustAdapter,
    ssl_context,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import check_name_list, require_name


def check(p: dict[str, Any]) -> None:
    """Every option of this module, before any call to vCenter."""
    if p["datacenter"] is not None:
        require_name("datacenter", p["datacenter"], "a datacenter (or leave datacenter out for every datacenter)")
    if p["clusters"] is not None:
        check_name_list("clusters", p["clusters"], "cluster", "every image-managed cluster")
    if p["standalone_hosts"] is not None:
        check_name_list("standalone_hosts", p["standalone_hosts"], "standalone host", "no standalone host")
    if not 1 <= p["parallel"] <= MAX_PARALLEL:
        raise OptionError(f"parallel is {p['parallel']}: give how many clusters to check at the same time, "
                          f"1-{MAX_PARALLEL} (default 8)", option="parallel")


def client(m: VcenterModule, parallel: int) -> RestClient:
    """One REST client whose connection pool holds a connection per worker (requests keeps 10 by default)."""
    if not HAS_REQUESTS:
        raise MissingLibraryError("requests", REQUESTS_IMPORT_ERROR)
    import requests

    params = m.connection_params()
    session = requests.Session()
    session.mount("https://", TrustAdapter(ssl_context(params), pool_maxsize=max(10, parallel)))
    return RestClient(params, session=session, task_poll_max=m.params.get("task_poll_max"))


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    check(p)
    rest = client(m, p["parallel"])
    try:
        fleet = FleetCheck(rest, refresh=p["refresh"], wait_timeout=p["wait_timeout"],
                           include_compliant=p["include_compliant"], parallel=p["parallel"], warn=m.warn)
        clusters = fleet.clusters(p["clusters"], p["datacenter"])
        result = fleet.run(clusters, p["standalone_hosts"] or [], p["datacenter"])
        result["logins"] = rest.logins
    finally:
        rest.close()
    if p["clusters"] is not None and result["not_image_managed"]:
        m.warn(f"left out, not managed with a vLCM image: {', '.join(result['not_image_managed'])}")
    result["vcenter"] = p["hostname"]
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            datacenter=dict(type="str"),
            clusters=dict(type="list", elements="str"),
            standalone_hosts=dict(type="list", elements="str"),
            refresh=dict(type="bool", default=True),
            include_compliant=dict(type="bool", default=False),
            parallel=dict(type="int", default=8),
            wait_timeout=dict(type="int", default=1800),
            # the report options are the action plugin's (it renders and writes on the controller)
            report_dir=dict(type="path"),
            report_title=dict(type="str", default="vLCM compliance report"),
            json_file=dict(type="path"),
            result_hosts=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
