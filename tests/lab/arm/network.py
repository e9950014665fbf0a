"""Microsoft.Network: virtual networks, subnets, security groups, public IPs, NICs."""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

from tests.lab.arm.errors import ArmError, bad_reference, in_use
from tests.lab.arm.kinds import ChildKind, Kind, new_etag, ref, ref_id, require_ref, same_id
from tests.lab.arm.state import Resource, World

VNET = "Microsoft.Network/virtualNetworks"
SUBNET = "Microsoft.Network/virtualNetworks/subnets"
NSG = "Microsoft.Network/networkSecurityGroups"
RULE = "Microsoft.Network/networkSecurityGroups/securityRules"
PIP = "Microsoft.Network/publicIPAddresses"
NIC = "Microsoft.Network/networkInterfaces"
VM = "Microsoft.Compute/virtualMachines"
# Azure keeps the first four addresses of every subnet for itself.
RESERVED_PER_SUBNET = 4


def ip_configurations(world: World) -> Iterator[tuple[Resource, Resource]]:
    """Every (NIC, ipConfiguration) pair in the subscription."""
    for nic in world.of_type(NIC):
        for config in nic["properties"].get("ipConfigurations", []):
            yield nic, config


def find_subnet(world: World, subnet_id: str) -> Resource | None:
    vnet_id, _, name = subnet_id.rpartition("/subnets/")
    vnet = world.get(vnet_id)
    if vnet is None:
        return None
    subnets = vnet["properties"].get("subnets", [])
    return next((s for s in subnets if s["name"].lower() == name.lower()), None)


def subnet_users(world: World, subnet_id: str) -> list[str]:
    return [
        config["id"]
        for _, config in ip_configurations(world)
        if same_id(ref_id(config["properties"].get("subnet")), subnet_id)
    ]


class SubnetKind(ChildKind):
    type_name = SUBNET
    collection = "subnets"

    def properties(
        self, world: World, child_id: str, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        prefix = properties.get("addressPrefix") or (properties.get("addressPrefixes") or [None])[0]
        if prefix is None:
            raise ArmError(400, "InvalidRequestFormat", f"Subnet {child_id} has no address prefix.")
        try:
            ipaddress.ip_network(prefix)
        except ValueError:
            raise ArmError(
                400,
                "InvalidAddressPrefixFormat",
                f"Address prefix {prefix} of resource {child_id} is not formatted correctly.",
            ) from None
        require_ref(world, properties.get("networkSecurityGroup"), NSG)
        properties.setdefault("delegations", [])
        properties.setdefault("privateEndpointNetworkPolicies", "Disabled")
        properties.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
        return properties

    def render(self, world: World, child: Resource) -> Resource:
        shown = super().render(world, child)
        users = subnet_users(world, child["id"])
        if users:
            shown["properties"]["ipConfigurations"] = [ref(u) for u in users]
        return shown

    def check_delete(self, world: World, child: Resource) -> None:
        users = subnet_users(world, child["id"])
        if users:
            raise in_use(
                "InUseSubnetCannotBeDeleted",
                f"Subnet {child['name']} is in use by {users[0]} and cannot be deleted. In order "
                "to delete the subnet, delete all the resources within the subnet. "
                "See aka.ms/deletesubnet.",
            )


class VirtualNetworkKind(Kind):
    type_name = VNET
    namespace_etag = True

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        prefixes = (properties.get("addressSpace") or {}).get("addressPrefixes") or []
        if not prefixes:
            raise ArmError(
                400,
                "InvalidRequestFormat",
                f"Virtual network {resource['id']} must have at least one address prefix.",
            )
        properties["subnets"] = SUBNETS.accept_all(
            world, resource["id"], properties.get("subnets") or [], old.get("subnets", [])
        )
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        properties.setdefault("virtualNetworkPeerings", [])
        properties.setdefault("enableDdosProtection", False)
        return properties

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        shown["properties"]["subnets"] = [
            SUBNETS.render(world, s) for s in resource["properties"]["subnets"]
        ]
        return shown

    def check_delete(self, world: World, resource: Resource) -> None:
        for subnet in resource["properties"]["subnets"]:
            SUBNETS.check_delete(world, subnet)


class SecurityRuleKind(ChildKind):
    type_name = RULE
    collection = "securityRules"

    def properties(
        self, world: World, child_id: str, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        for required in ("protocol", "access", "direction", "priority"):
            if properties.get(required) is None:
                raise ArmError(
                    400,
                    "SecurityRuleParameterMissing",
                    f"Security rule {child_id} has no value for {required}.",
                )
        if not 100 <= int(properties["priority"]) <= 4096:
            raise ArmError(
                400,
                "SecurityRuleInvalidPriority",
                f"Security rule {child_id} has invalid Priority. Value provided: "
                f"{properties['priority']}. Allowed range 100-4096.",
            )
        for plural in ("sourcePortRanges", "destinationPortRanges"):
            properties.setdefault(plural, [])
        for plural in ("sourceAddressPrefixes", "destinationAddressPrefixes"):
            properties.setdefault(plural, [])
        return properties


def default_rules(nsg_id: str) -> list[Resource]:
    """The six rules Azure puts in every security group."""
    table = [
        ("AllowVnetInBound", "Inbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
        ("AllowAzureLoadBalancerInBound", "Inbound", "Allow", 65001, "AzureLoadBalancer", "*"),
        ("DenyAllInBound", "Inbound", "Deny", 65500, "*", "*"),
        ("AllowVnetOutBound", "Outbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
        ("AllowInternetOutBound", "Outbound", "Allow", 65001, "*", "Internet"),
        ("DenyAllOutBound", "Outbound", "Deny", 65500, "*", "*"),
    ]
    return [
        {
            "id": f"{nsg_id}/defaultSecurityRules/{name}",
            "name": name,
            "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
            "properties": {
                "provisioningState": "Succeeded",
                "description": f"Default rule {name}",
                "protocol": "*",
                "sourcePortRange": "*",
                "destinationPortRange": "*",
                "sourceAddressPrefix": source,
                "destinationAddressPrefix": destination,
                "access": access,
                "priority": priority,
                "direction": direction,
                "sourcePortRanges": [],
                "destinationPortRanges": [],
                "sourceAddressPrefixes": [],
                "destinationAddressPrefixes": [],
            },
        }
        for name, direction, access, priority, source, destination in table
    ]


class SecurityGroupKind(Kind):
    type_name = NSG
    namespace_etag = True

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        properties["securityRules"] = RULES.accept_all(
            world,
            resource["id"],
            properties.get("securityRules") or [],
            old.get("securityRules", []),
        )
        properties["defaultSecurityRules"] = default_rules(resource["id"])
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        for derived in ("networkInterfaces", "subnets"):
            properties.pop(derived, None)
        return properties

    def users(self, world: World, nsg_id: str) -> tuple[list[str], list[str]]:
        nics = [
            n["id"]
            for n in world.of_type(NIC)
            if same_id(ref_id(n["properties"].get("networkSecurityGroup")), nsg_id)
        ]
        subnets = [
            s["id"]
            for v in world.of_type(VNET)
            for s in v["properties"]["subnets"]
            if same_id(ref_id(s["properties"].get("networkSecurityGroup")), nsg_id)
        ]
        return nics, subnets

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        nics, subnets = self.users(world, resource["id"])
        if nics:
            shown["properties"]["networkInterfaces"] = [ref(i) for i in nics]
        if subnets:
            shown["properties"]["subnets"] = [ref(i) for i in subnets]
        return shown

    def check_delete(self, world: World, resource: Resource) -> None:
        nics, subnets = self.users(world, resource["id"])
        if nics or subnets:
            raise in_use(
                "InUseNetworkSecurityGroupCannotBeDeleted",
                f"Network security group {resource['id']} cannot be deleted because it is in use "
                f"by the following resources: {', '.join(nics + subnets)}. In order to delete the "
                "Network security group, remove the association with the resource(s).",
            )


def pip_user(world: World, pip_id: str) -> str | None:
    return next(
        (
            config["id"]
            for _, config in ip_configurations(world)
            if same_id(ref_id(config["properties"].get("publicIPAddress")), pip_id)
        ),
        None,
    )


class PublicIpKind(Kind):
    type_name = PIP
    namespace_etag = True

    def accept(
        self, world: World, resource_id: str, body: Resource, old: Resource | None
    ) -> Resource:
        resource = super().accept(world, resource_id, body, old)
        sku = dict(resource.get("sku") or (old or {}).get("sku") or {"name": "Basic"})
        sku.setdefault("tier", "Regional")
        resource["sku"] = sku
        return resource

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        properties.setdefault("publicIPAllocationMethod", "Dynamic")
        properties.setdefault("publicIPAddressVersion", "IPv4")
        properties.setdefault("idleTimeoutInMinutes", 4)
        properties.setdefault("ipTags", [])
        properties.setdefault("ddosSettings", {"protectionMode": "VirtualNetworkInherited"})
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        # TODO: a Dynamic address is allocated at once here, where Azure waits for a running VM;
        # the lab's addresses are test hosts', and a host needs its address before it boots.
        properties["ipAddress"] = old.get("ipAddress") or str(world.allocate_public_ip())
        properties.pop("ipConfiguration", None)
        return properties

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        user = pip_user(world, resource["id"])
        if user:
            shown["properties"]["ipConfiguration"] = ref(user)
        return shown

    def check_delete(self, world: World, resource: Resource) -> None:
        user = pip_user(world, resource["id"])
        if user:
            raise in_use(
                "PublicIPAddressCannotBeDeleted",
                f"Public IP address {resource['id']} can not be deleted since it is still "
                f"allocated to resource {user}. In order to delete the public IP, disassociate/"
                "detach the Public IP address from the resource.",
            )


def nic_user(world: World, nic_id: str) -> str | None:
    for vm in world.of_type(VM):
        for nic in vm["properties"]["networkProfile"].get("networkInterfaces", []):
            if same_id(nic.get("id"), nic_id):
                return str(vm["id"])
    return None


def free_private_address(world: World, subnet: Resource, nic_id: str) -> str:
    prefix = subnet["properties"].get("addressPrefix") or subnet["properties"]["addressPrefixes"][0]
    network = ipaddress.ip_network(prefix)
    taken = {
        config["properties"].get("privateIPAddress")
        for nic, config in ip_configurations(world)
        if not same_id(nic["id"], nic_id)
    }
    for host in list(network.hosts())[RESERVED_PER_SUBNET - 1 :]:
        if str(host) not in taken:
            return str(host)
    raise ArmError(400, "SubnetIsFull", f"Subnet {subnet['name']} has no free addresses left.")


class NetworkInterfaceKind(Kind):
    type_name = NIC
    namespace_etag = True

    def properties(
        self, world: World, resource: Resource, properties: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        configs = properties.get("ipConfigurations") or []
        if not configs:
            raise ArmError(
                400,
                "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
                f"Network interface {resource['id']} must have at least one IP configuration.",
            )
        previous = {c["name"].lower(): c for c in old.get("ipConfigurations", [])}
        properties["ipConfigurations"] = [
            self.ip_configuration(world, resource["id"], c, previous, index == 0)
            for index, c in enumerate(configs)
        ]
        require_ref(world, properties.get("networkSecurityGroup"), NSG)
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        properties["macAddress"] = old.get("macAddress") or new_mac_address()
        properties.setdefault("enableAcceleratedNetworking", False)
        properties.setdefault("enableIPForwarding", False)
        dns = properties.get("dnsSettings") or old.get("dnsSettings") or {}
        properties["dnsSettings"] = {
            "dnsServers": [],
            "appliedDnsServers": [],
            **dns,
            # Azure names every virtual network's internal DNS zone with a random label.
            "internalDomainNameSuffix": dns.get("internalDomainNameSuffix")
            or f"{secrets.token_hex(12)}.bx.internal.cloudapp.net",
        }
        properties.setdefault("disableTcpStateTracking", False)
        properties.setdefault("vnetEncryptionSupported", False)
        properties.setdefault("nicType", "Standard")
        properties.pop("virtualMachine", None)
        return properties

    def ip_configuration(
        self,
        world: World,
        nic_id: str,
        config: Resource,
        previous: dict[str, Resource],
        first: bool,
    ) -> Resource:
        name = config.get("name") or "ipconfig1"
        properties = dict(config.get("properties") or {})
        subnet_id = ref_id(properties.get("subnet"))
        subnet = find_subnet(world, subnet_id) if subnet_id else None
        if subnet is None:
            raise bad_reference(subnet_id or f"{nic_id}/ipConfigurations/{name}/subnet")
        pip = require_ref(world, properties.get("publicIPAddress"), PIP)
        if pip is not None:
            user = pip_user(world, pip["id"])
            if user and not user.lower().startswith(nic_id.lower() + "/"):
                raise ArmError(
                    400,
                    "PublicIPAddressInUse",
                    f"Resource {pip['id']} is referenced by {user} and cannot be used again.",
                )
        old = previous.get(name.lower(), {}).get("properties", {})
        properties.setdefault("privateIPAllocationMethod", "Dynamic")
        properties.setdefault("privateIPAddressVersion", "IPv4")
        properties.setdefault("primary", first)
        if properties["privateIPAllocationMethod"] == "Dynamic" or not properties.get(
            "privateIPAddress"
        ):
            properties["privateIPAddress"] = old.get("privateIPAddress") or free_private_address(
                world, subnet, nic_id
            )
        properties["provisioningState"] = "Succeeded"
        return {
            "id": f"{nic_id}/ipConfigurations/{name}",
            "name": name,
            "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
            "etag": new_etag(),
            "properties": properties,
        }

    def render(self, world: World, resource: Resource) -> Resource:
        shown = super().render(world, resource)
        vm_id = nic_user(world, resource["id"])
        if vm_id:
            shown["properties"]["virtualMachine"] = ref(vm_id)
            shown["properties"]["primary"] = True
        return shown

    def check_delete(self, world: World, resource: Resource) -> None:
        vm_id = nic_user(world, resource["id"])
        if vm_id:
            raise in_use(
                "NicInUse",
                f"Network Interface {resource['id']} is used by existing resource {vm_id}. In "
                "order to delete the network interface, it must be dissociated from the resource. "
                "To learn more, see aka.ms/deletenic.",
            )


def new_mac_address() -> str:
    """A MAC in Microsoft's 00-22-48 range, written as Azure writes it."""
    suffix = secrets.token_hex(3).upper()
    return "-".join(("00", "22", "48", suffix[0:2], suffix[2:4], suffix[4:6]))


SUBNETS = SubnetKind()
RULES = SecurityRuleKind()
