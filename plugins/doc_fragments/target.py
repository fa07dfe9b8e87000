# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The target options; one-to-one with target_argument_spec() in module_utils/_module.py
    # (DOCUMENTATION: cluster, datacenter, host; HOSTS adds hosts).
    DOCUMENTATION = r"""
options:
  cluster:
    description:
      - Name of the image-managed cluster to act on, exactly as vCenter shows it.
      - Mutually exclusive with O(host). One of the two is required; an empty or null name is an error,
        never "every cluster".
    type: str
  datacenter:
    description:
      - Name of the datacenter of O(cluster) or O(host); needed only when that name exists in several datacenters.
    type: str
  host:
    description:
      - Name of a standalone, image-managed ESXi host to act on (a host in a cluster is reached through
        O(cluster)).
      - Mutually exclusive with O(cluster). An empty or null name is an error.
    type: str
"""

    HOSTS = r"""
options:
  hosts:
    description:
      - Names of hosts of O(cluster) to act on; leave it out to act on every host of the cluster.
      - An empty list is an error, never "every host". Requires O(cluster).
    type: list
    elements: str
"""
