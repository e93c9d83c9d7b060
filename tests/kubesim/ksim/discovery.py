"""Static discovery documents: /version, /api, /api/v1, /apis, metrics.k8s.io."""
import platform

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.5", "gitCommit": "9894294ef13a5b32803e3ca2c0d620a088cc84d1",
           "gitTreeState": "clean", "buildDate": "2025-05-15T09:00:00Z", "goVersion": "go1.23.8", "compiler": "gc",
           "platform": "linux/" + ("arm64" if platform.machine() == "aarch64" else "amd64")}


def _res(name, kind, verbs, namespaced=True, short=None, singular="", cats=None):
    r = {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind, "verbs": verbs}
    if short:
        r["shortNames"] = short
    if cats:
        r["categories"] = cats
    return r


CORE_V1 = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    _res("events", "Event", ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
         short=["ev"], singular="event"),
    _res("namespaces", "Namespace", ["create", "delete", "get", "list", "patch", "update", "watch"], False,
         short=["ns"], singular="namespace"),
    _res("nodes", "Node", ["get", "list", "watch"], False, short=["no"], singular="node"),
    _res("pods", "Pod", ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
         short=["po"], singular="pod", cats=["all"]),
    _res("pods/attach", "PodAttachOptions", ["create", "get"]),
    _res("pods/exec", "PodExecOptions", ["create", "get"]),
    _res("pods/log", "Pod", ["get"]),
    _res("pods/portforward", "PodPortForwardOptions", ["create", "get"]),
    _res("pods/status", "Pod", ["get", "patch", "update"]),
]}

METRICS_V1B1 = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "metrics.k8s.io/v1beta1", "resources": [
    _res("nodes", "NodeMetrics", ["get", "list"], False),
    _res("pods", "PodMetrics", ["get", "list"]),
]}

METRICS_GROUP = {"name": "metrics.k8s.io",
                 "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}],
                 "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}}


def api_versions(host):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def api_groups():
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [METRICS_GROUP]}


def metrics_group():
    return dict(METRICS_GROUP, kind="APIGroup", apiVersion="v1")


def _op(kind):
    return {"x-kubernetes-group-version-kind": {"group": "", "version": "v1", "kind": kind},
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                           {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                           {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}],
            "responses": {"200": {"description": "OK"}}}


# Just enough OpenAPI v3 for kubectl to see that the server validates fields itself (fieldValidation).
OPENAPI_V3_ROOT = {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=6B1A2E3C4D5F"}}}
OPENAPI_V3_CORE = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.5"},
                   "paths": {"/api/v1/namespaces/{namespace}/pods": {"post": _op("Pod")},
                             "/api/v1/namespaces/{namespace}/pods/{name}": {"patch": _op("Pod"), "put": _op("Pod")}},
                   "components": {"schemas": {}}}
