"""PATCH and DELETE on a cluster store, with the controllers' reactions an actuator relies on.

- Patching a pod owner's spec (replicas, image, nodeSelector, ...) re-makes its pods: pods whose
  name still stands keep their node, new ones are placed, surplus ones go; a template change gives
  a new ReplicaSet and new pod names, as a rollout does.
- Patching a custom resource changes the stored object only (no operator reconciles its children).
- Deleting an object deletes its dependents (background cascade); deleting a pod of a controller
  makes a replacement (new name, or the same name for a StatefulSet); the answer is the pod
  marked for deletion, as for graceful deletion.
- Pods, derived ReplicaSets, Nodes' placement and Namespaces are not patchable/deletable here (405).
"""

from __future__ import annotations

import copy
from typing import Any

from collectors.simulator.patching import JSON_PATCH, STRATEGIC, PatchError, apply_patch
from collectors.simulator.pods import PodRecord
from collectors.simulator.resources import Resource
from collectors.simulator.store import ClusterStore, Entry, StoreError, not_found

CORE_GROUPS = ("", "apps", "autoscaling", "batch")


def patch_object(store: ClusterStore, resource: Resource, namespace: str, name: str, body: Any,
                 content_type: str, subresource: str | None = None) -> dict[str, Any]:
    with store.lock:
        entry = _entry(store, resource, namespace, name)
        if content_type == STRATEGIC and resource.group not in CORE_GROUPS:
            raise StoreError(415, "UnsupportedMediaType",
                             f"the body of the request was in an unknown format - accepted media types include: "
                             f"{JSON_PATCH}, application/merge-patch+json, application/apply-patch+yaml")
        base = store.base(entry)
        _check_precondition(body, entry, resource, name)
        if subresource == "scale":
            replicas = ((body or {}).get("spec") or {}).get("replicas") if isinstance(body, dict) else None
            if replicas is None:
                raise StoreError(422, "Invalid", "Scale.autoscaling \"\" is invalid: spec.replicas: Required value")
            body, content_type = {"spec": {"replicas": int(replicas)}}, "application/merge-patch+json"
        elif subresource == "status":
            body = {"status": (body or {}).get("status")} if isinstance(body, dict) else body
        try:
            patched = apply_patch(copy.deepcopy(base), body, content_type)
        except PatchError as error:
            raise StoreError(422, "Invalid", str(error)) from error
        except (ValueError, TypeError) as error:
            raise StoreError(400, "BadRequest", f"error decoding patch: {error}") from error
        _check_identity(base, patched, resource, name)
        changed = {k: v for k, v in patched.items() if k not in ("metadata", "status")} != {
            k: v for k, v in base.items() if k not in ("metadata", "status")}
        entry.obj, entry.source = patched, None
        entry.rv = store.next_rv()
        if changed:
            entry.generation += 1
            if entry.pods is not None:
                entry.hold = min(entry.hold, int((patched.get("spec") or {}).get("replicas") or 0))
                store.scheduler.schedule(entry, patched)
        rendered = store.render(entry)
        return scale_of(store, entry, rendered) if subresource == "scale" else rendered


def get_scale(store: ClusterStore, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
    with store.lock:
        entry = _entry(store, resource, namespace, name)
        return scale_of(store, entry, store.render(entry))


def scale_of(store: ClusterStore, entry: Entry, obj: dict[str, Any]) -> dict[str, Any]:
    spec, meta = obj.get("spec") or {}, obj["metadata"]
    selector = ",".join(f"{k}={v}" for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items())
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": len(entry.pods or []), "selector": selector}}


def delete_object(store: ClusterStore, resource: Resource, namespace: str, name: str,
                  options: Any = None) -> dict[str, Any]:
    with store.lock:
        found = store.find(resource, namespace, name)
        if found is None:
            raise not_found(resource, name)
        wanted = ((options or {}).get("preconditions") or {}) if isinstance(options, dict) else {}
        if wanted.get("resourceVersion") and not isinstance(found, PodRecord) \
                and str(wanted["resourceVersion"]) != str(found.rv):
            raise _conflict(resource, name)
        details = {"name": name, "group": resource.group, "kind": resource.plural}
        if isinstance(found, PodRecord):
            # graceful deletion: the API server answers with the pod, marked for deletion
            pod = store.render(found)
            pod["metadata"].update(deletionTimestamp=store.now(), deletionGracePeriodSeconds=30)
            if _owner_alive(store, found):
                store.scheduler.replace(found)
            else:
                store.scheduler.release(found)
            return pod
        if resource.kind in ("Node", "Namespace") or (found.source or ("",))[0] == "rs":
            raise StoreError(405, "MethodNotAllowed",
                             f"the fleet simulator does not delete {resource.plural} (derived from the scenario)")
        details["uid"] = store.uid_of(found)
        store.remove(found)
        store.next_rv()
        return _success(details)


def _owner_alive(store: ClusterStore, pod: PodRecord) -> bool:
    owner = pod.owner
    return store.find(owner.resource, owner.namespace, owner.name) is owner and pod in (owner.pods or [])


def _entry(store: ClusterStore, resource: Resource, namespace: str, name: str) -> Entry:
    found = store.find(resource, namespace, name)
    if found is None:
        raise not_found(resource, name)
    if isinstance(found, PodRecord) or (found.source or ("",))[0] == "rs":
        raise StoreError(405, "MethodNotAllowed", f"the fleet simulator derives {resource.plural} from their "
                                                  f"owners; patch the owner instead")
    return found


def _check_precondition(body: Any, entry: Entry, resource: Resource, name: str) -> None:
    """A patch naming metadata.resourceVersion is refused with 409 unless the object is at that version, as
    the API server does (optimistic concurrency)."""
    wanted = ((body.get("metadata") or {}).get("resourceVersion")) if isinstance(body, dict) else None
    if wanted and str(wanted) != str(entry.rv):
        raise _conflict(resource, name)


def _conflict(resource: Resource, name: str) -> StoreError:
    what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
    return StoreError(409, "Conflict", f'Operation cannot be fulfilled on {what} "{name}": the object has been '
                                       "modified; please apply your changes to the latest version and try again")


def _check_identity(base: dict[str, Any], patched: dict[str, Any], resource: Resource, name: str) -> None:
    meta = patched.get("metadata") or {}
    if meta.get("name", name) != name or patched.get("kind", base.get("kind")) != base.get("kind"):
        raise StoreError(422, "Invalid", f'{resource.kind} "{name}" is invalid: metadata.name/kind: '
                                         f"field is immutable")


def _success(details: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
