# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``vsphere.lifecycle.fleet_compliance``: runs the module, then, with ``report_dir``, renders
the report on the controller: ``compliance-report.json`` and ``compliance-report.html`` (Jinja2 templates of role
``compliance_report``, autoescaped), plus the summary lines, in one pass of plain Jinja2 over plain data.

Rendering here rather than with one ``template`` task per file keeps a 1,024-host report from going through
Ansible's variable templating three times (fact, JSON, HTML): see bench/fleet_compliance.py.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

REPORT_FORMAT = "vsphere.lifecycle.compliance_report/1"
JSON_NAME = "compliance-report.json"
HTML_NAME = "compliance-report.html"
# the role's templates, found from this file: <collection>/plugins/action/ -> <collection>/roles/...
TEMPLATES = Path(__file__).resolve().parents[2] / "roles" / "compliance_report" / "templates"


def report_document(result: dict[str, Any], generated: str) -> dict[str, Any]:
    """The JSON document (docs/report.md): one vCenter, its clusters and standalone hosts, the counts."""
    return {
        "format": REPORT_FORMAT,
        "generated": generated,
        "vcenter": result.get("vcenter"),
        "counts": result.get("counts"),
        "clusters": result.get("clusters") or [],
        "standalone_hosts": result.get("standalone_hosts") or [],
        "not_image_managed": result.get("not_image_managed") or [],
    }


def environment(templates: Path, *, html: bool) -> Any:
    import jinja2

    # trim_blocks as Ansible's template module; HTML output is autoescaped (host names are data, not markup)
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=html, trim_blocks=True)


def render(document: dict[str, Any], templates: Path, title: str) -> tuple[str, str, list[str]]:
    """(JSON text, HTML page, summary lines) of one report document."""
    html = environment(templates, html=True).get_template("report.html.j2").render(
        vlcm_report=document, vlcm_report_title=title)
    summary = environment(templates, html=False).get_template("summary.j2").render(vlcm_report=document)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return text, html, summary.strip().split("\n")


def write_atomically(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file in the same folder; False when it was already that."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def slim(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries without their per-host rows (these are in the report files)."""
    return [{k: v for k, v in entry.items() if k != "hosts"} for entry in entries]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        report_dir = args.get("report_dir")
        title = args.get("report_title") or "vLCM compliance report"
        json_file = args.get("json_file")
        keep_hosts = args.get("result_hosts", True)
        for name, value in (("report_dir", report_dir), ("json_file", json_file)):
            if value is not None and not str(value).strip():
                raise AnsibleActionFail(f"{name} is empty: give a folder (report_dir) or a file (json_file), or "
                                        "leave it out to write no report; nothing was sent to vCenter")
        module_result = self._execute_module(module_name="vsphere.lifecycle.fleet_compliance", module_args=args,
                                             task_vars=task_vars)
        result.update(module_result)
        if module_result.get("failed"):
            return result
        if report_dir is not None or json_file is not None:
            generated = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            document = report_document(module_result, generated)
            text, html, summary = render(document, TEMPLATES, str(title))
            result["summary"] = summary
            files: dict[str, str] = {}
            if report_dir is not None:
                folder = Path(os.path.expanduser(str(report_dir))).absolute()
                files = {"json": str(folder / JSON_NAME), "html": str(folder / HTML_NAME)}
            if json_file is not None:
                files["json_file"] = str(Path(os.path.expanduser(str(json_file))).absolute())
            result["report_files"] = files
            if self._task.check_mode:
                result["msg"] = "check mode: the report files were not written"
            else:
                written = False
                try:
                    if report_dir is not None:
                        Path(files["html"]).parent.mkdir(parents=True, exist_ok=True)
                        written |= write_atomically(Path(files["json"]), text)
                        written |= write_atomically(Path(files["html"]), html)
                    if json_file is not None:
                        written |= write_atomically(Path(files["json_file"]), text)
                except OSError as exc:
                    raise AnsibleActionFail(f"the report could not be written ({exc.strerror}: {exc.filename}): "
                                            "give a folder you can write to in report_dir / json_file") from None
                # the files changed on the controller; vCenter never does
                result["changed"] = written
        if not keep_hosts:
            result["clusters"] = slim(result.get("clusters") or [])
            result["standalone_hosts"] = slim(result.get("standalone_hosts") or [])
        return result
