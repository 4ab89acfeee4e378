//! deploy/k8s: the base and the demo overlay render with kustomize, validate against a pinned
//! Kubernetes version, and every object has what production needs.

use std::path::Path;

use serde_json::Value;

use crate::{SERVICES, generate_secrets, repo, succeed, tool, yaml_documents};

/// The Kubernetes version the rendered objects are validated against (offline schemas that
/// ship with kubernetes-validate).
const KUBERNETES_VERSION: &str = "1.32.0";

/// Renders `kustomization` (relative to deploy/k8s) in a copy whose secrets/ the secrets
/// script filled, validates the output and returns its objects.
fn render(kustomization: &str) -> Vec<Value> {
    let root = tempfile::tempdir().expect("tempdir");
    let k8s = root.path().join("k8s");
    crate::copy_tree(&repo().join("deploy/k8s"), &k8s);
    generate_secrets(root.path(), "k8s/base/secrets");
    let output = succeed(
        tool("kubectl", "kubectl (with its built-in kustomize)")
            .arg("kustomize")
            .arg(k8s.join(kustomization)),
    );
    let rendered = root.path().join("rendered.yaml");
    std::fs::write(&rendered, &output.stdout).expect("write");
    validate(&rendered);
    yaml_documents(&String::from_utf8_lossy(&output.stdout))
}

fn validate(rendered: &Path) {
    succeed(
        tool(
            "kubernetes-validate",
            "kubernetes-validate (pip install kubernetes-validate)",
        )
        .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
        .arg(rendered),
    );
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().expect("name")
}

/// The pod labels of `deployment`'s template.
fn pod_labels(deployment: &Value) -> &serde_json::Map<String, Value> {
    deployment["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .expect("pod labels")
}

fn selects(selector: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    selector["matchLabels"]
        .as_object()
        .is_some_and(|wanted| wanted.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

fn assert_production_ready(objects: &[Value]) {
    let deployments = of_kind(objects, "Deployment");
    let mut names: Vec<&str> = deployments.iter().map(|d| name(d)).collect();
    names.sort_unstable();
    let mut expected = SERVICES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);

    let services = of_kind(objects, "Service");
    let budgets = of_kind(objects, "PodDisruptionBudget");
    for deployment in &deployments {
        let service = name(deployment);
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{service}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{service}");
        for container in pod["containers"].as_array().expect("containers") {
            assert_eq!(
                container["readinessProbe"]["httpGet"]["path"], "/readyz",
                "{service}"
            );
            assert_eq!(
                container["livenessProbe"]["httpGet"]["path"], "/healthz",
                "{service}"
            );
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][bound][resource].is_string(),
                        "{service}: no {bound}.{resource}"
                    );
                }
            }
            let security = &container["securityContext"];
            assert_eq!(security["runAsNonRoot"], true, "{service}");
            assert_eq!(security["readOnlyRootFilesystem"], true, "{service}");
            assert_eq!(security["allowPrivilegeEscalation"], false, "{service}");
            assert_eq!(
                security["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{service}"
            );
            assert_eq!(
                security["seccompProfile"]["type"], "RuntimeDefault",
                "{service}"
            );
            assert_eq!(
                container["args"][0], service,
                "{service} runs another subcommand"
            );
        }
        let labels = pod_labels(deployment);
        assert!(
            services.iter().any(|s| selects(
                &serde_json::json!({"matchLabels": s["spec"]["selector"]}),
                labels
            )),
            "{service} has no Service"
        );
        assert!(
            budgets
                .iter()
                .any(|b| selects(&b["spec"]["selector"], labels)),
            "{service} has no PodDisruptionBudget"
        );
    }

    let mut scaled: Vec<&str> = of_kind(objects, "HorizontalPodAutoscaler")
        .iter()
        .map(|h| {
            h["spec"]["scaleTargetRef"]["name"]
                .as_str()
                .expect("target")
        })
        .collect();
    scaled.sort_unstable();
    assert_eq!(scaled, ["booking", "gateway"]);

    let secrets = of_kind(objects, "Secret");
    assert_eq!(
        secrets.len(),
        SERVICES.len(),
        "one generated Secret per service"
    );
    assert_network_policies(objects, &deployments);
}

/// Who may connect to `port` (a name) of the pods with `labels`: `None` is anyone, else the
/// services named by pod selectors. Panics on a source that is neither (an ipBlock or a
/// namespace selector would open the pod to more than the named services).
fn admitted(
    policies: &[&Value],
    labels: &serde_json::Map<String, Value>,
    port: &str,
) -> Option<Vec<String>> {
    let mut sources = Vec::new();
    for policy in policies {
        if !selects(&policy["spec"]["podSelector"], labels) {
            continue;
        }
        for rule in policy["spec"]["ingress"].as_array().into_iter().flatten() {
            let ports = rule["ports"].as_array();
            if !ports.is_none_or(|ports| ports.iter().any(|p| p["port"] == port)) {
                continue;
            }
            // A rule without `from` admits anyone.
            let from = rule["from"].as_array()?;
            for peer in from {
                assert!(
                    peer.as_object().is_some_and(|p| p.len() == 1)
                        && peer["podSelector"].is_object(),
                    "{}: only pod selectors may admit traffic, not {peer}",
                    name(policy)
                );
                let service = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    .as_str()
                    .expect("a service's pod label");
                sources.push(service.to_owned());
            }
        }
    }
    sources.sort_unstable();
    sources.dedup();
    Some(sources)
}

fn assert_network_policies(objects: &[Value], deployments: &[&Value]) {
    let policies = of_kind(objects, "NetworkPolicy");
    assert!(
        policies.iter().any(|p| {
            p["spec"]["podSelector"] == serde_json::json!({})
                && p["spec"]["policyTypes"] == serde_json::json!(["Ingress"])
                && p["spec"]["ingress"].is_null()
        }),
        "no default-deny ingress policy"
    );
    let labels = |service: &str| {
        let deployment = deployments
            .iter()
            .find(|d| name(d) == service)
            .expect("deployment");
        pod_labels(deployment)
    };
    assert_eq!(admitted(&policies, labels("gateway"), "http"), None);
    assert_eq!(
        admitted(&policies, labels("payments"), "http"),
        Some(vec!["booking".to_owned()])
    );
    assert_eq!(
        admitted(&policies, labels("cinema"), "grpc"),
        Some(vec!["booking".to_owned()])
    );
    for service in ["users", "cinema", "booking", "notifications"] {
        let sources = admitted(&policies, labels(service), "http")
            .unwrap_or_else(|| panic!("{service} is reachable from outside"));
        assert!(!sources.is_empty(), "{service} is reachable from nowhere");
        assert!(!sources.iter().any(|s| s == service), "{service}");
    }
}

#[test]
fn the_kubernetes_base_renders_validates_and_is_production_ready() {
    let objects = render("base");
    assert_production_ready(&objects);
    for deployment in of_kind(&objects, "Deployment") {
        assert!(
            deployment["spec"]["replicas"].as_u64() >= Some(2),
            "{} has a single replica in the base",
            name(deployment)
        );
    }
}

#[test]
fn the_demo_overlay_renders_validates_and_runs_one_of_each_in_its_namespace() {
    let objects = render("overlays/demo");
    assert_production_ready(&objects);
    for object in objects.iter().filter(|o| o["kind"] != "Namespace") {
        assert_eq!(
            object["metadata"]["namespace"],
            "boxoffice-demo",
            "{}",
            name(object)
        );
    }
    for deployment in of_kind(&objects, "Deployment") {
        assert_eq!(deployment["spec"]["replicas"], 1, "{}", name(deployment));
        let image = &deployment["spec"]["template"]["spec"]["containers"][0]["image"];
        assert_eq!(image, "boxoffice:local");
    }
    let gateway = of_kind(&objects, "Service")
        .into_iter()
        .find(|s| name(s) == "gateway")
        .expect("gateway service");
    assert_eq!(gateway["spec"]["type"], "NodePort");
}
