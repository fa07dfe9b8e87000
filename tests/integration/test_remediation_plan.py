# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediation_plan through ansible-playbook against vlcmsim (demo scenario)."""

from __future__ import annotations

SIM_SCENARIO = "demo"


def test_plan_cluster_a(sim, run_playbook):
    result = run_playbook("""
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    import json
    print(json.dumps(plan, indent=1))
    assert 0
