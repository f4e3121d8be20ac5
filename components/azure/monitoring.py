"""Container insights (`azure.container_insights`, on by default): container logs, Kubernetes events and inventory
go to a Log Analytics workspace through the AKS monitoring add-on (omsagent) with managed-identity auth.

The shape is Microsoft's own onboarding template, microsoft/Docker-Provider
scripts/onboarding/aks/onboarding-using-msi-auth/existingClusterOnboarding.json and existingClusterParam.json
(commit 1fd55eefaa655fae7e1a5009b3753be438acdcd7): a data collection rule (kind Linux, extension ContainerInsights,
destination `ciworkspace`), associated with the cluster as `ContainerInsightsExtension`, and the add-on's config
logAnalyticsWorkspaceResourceID + useAADAuth. The streams are that parameter file's, less
Microsoft-RetinaNetworkFlowLogs and the legacy Microsoft-ContainerLog (high-scale flow logs need an ingestion
endpoint; ContainerLogV2 replaces the legacy table). Log Analytics bills per GB ingested; `cost` does not price it.
"""

from __future__ import annotations

import pulumi
import pulumi_azure_native as az

from aiinfra.components.base.util import child

STREAMS = [
    "Microsoft-ContainerLogV2",
    "Microsoft-KubeEvents",
    "Microsoft-KubePodInventory",
    "Microsoft-KubeNodeInventory",
    "Microsoft-KubePVInventory",
    "Microsoft-KubeServices",
    "Microsoft-KubeMonAgentEvents",
    "Microsoft-InsightsMetrics",
    "Microsoft-ContainerInventory",
    "Microsoft-ContainerNodeInventory",
    "Microsoft-Perf",
]
RETENTION_DAYS = 30
DESTINATION = "ciworkspace"
ASSOCIATION = "ContainerInsightsExtension"


def workspace(name: str, resource_group_name: pulumi.Input[str], location: str, tags: dict[str, str], parent: pulumi.Resource):
    """The Log Analytics workspace and the data collection rule that feeds it; the rule is associated once the
    cluster exists (associate)."""
    from pulumi_azure_native import monitor, operationalinsights

    ws = operationalinsights.Workspace(
        f"{name}-logs",
        workspace_name=f"{name}-logs",
        resource_group_name=resource_group_name,
        location=location,
        sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        retention_in_days=RETENTION_DAYS,
        tags=tags,
        opts=child(parent),
    )
    rule = monitor.DataCollectionRule(
        f"{name}-container-insights",
        data_collection_rule_name=f"MSCI-{location}-{name}"[:64],
        resource_group_name=resource_group_name,
        location=location,
        kind="Linux",
        data_sources=monitor.DataCollectionRuleDataSourcesArgs(
            extensions=[
                monitor.ExtensionDataSourceArgs(
                    name=ASSOCIATION,
                    extension_name="ContainerInsights",
                    streams=STREAMS,
                    extension_settings={"dataCollectionSettings": {"interval": "1m", "namespaceFilteringMode": "Off", "enableContainerLogV2": True}},
                )
            ]
        ),
        destinations=monitor.DataCollectionRuleDestinationsArgs(log_analytics=[monitor.LogAnalyticsDestinationArgs(name=DESTINATION, workspace_resource_id=ws.id)]),
        data_flows=[monitor.DataFlowArgs(streams=STREAMS, destinations=[DESTINATION])],
        tags=tags,
        opts=child(parent),
    )
    return ws, rule


def addon(ws) -> az.containerservice.ManagedClusterAddonProfileArgs:
    return az.containerservice.ManagedClusterAddonProfileArgs(enabled=True, config={"logAnalyticsWorkspaceResourceID": ws.id, "useAADAuth": "true"})


def associate(name: str, cluster: az.containerservice.ManagedCluster, rule, parent: pulumi.Resource) -> None:
    from pulumi_azure_native import monitor

    monitor.DataCollectionRuleAssociation(
        f"{name}-container-insights",
        association_name=ASSOCIATION,
        resource_uri=cluster.id,
        data_collection_rule_id=rule.id,
        description="Container insights for this AKS cluster; deleting it stops the collection",
        opts=child(parent),
    )
