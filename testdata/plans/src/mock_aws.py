#!/usr/bin/env python3
"""Tiny loopback stand-in for the few AWS API calls the AWS provider makes
while planning these fixtures: STS GetCallerIdentity (the account depends on
the access key), Route 53 hosted-zone look-ups, and the read-only calls of the
data sources in external-lookups (EC2 DescribeAvailabilityZones, DescribeVpcs,
DescribeVpcAttribute, DescribeSubnets; Secrets Manager GetSecretValue; SSM
GetParameter; ACM ListCertificates, DescribeCertificate, GetCertificate,
ListTagsForCertificate; KMS ListAliases, DescribeKey; IAM GetRole), plus
OpenSearch GetCompatibleVersions, which aws_opensearch_domain calls while
planning (for a domain that does not exist yet: ResourceNotFoundException).
Every answer is fixed, realistic data. Listens on 127.0.0.1 only and logs
every request to stderr. Used by regen.sh; not part of plangate."""
import json
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 4599
ACCOUNTS = {
    "AKIAIOSFODNN7REQSTER": "111122223333",
    "AKIAIOSFODNN7PEERACC": "444455556666",
}
ZONE_ID = "Z0719839XTR3ZQ5HY4N2"
ZONE_NAME = "example.internal."
NS = ["ns-1536.awsdns-00.co.uk", "ns-0.awsdns-00.com", "ns-1024.awsdns-00.org", "ns-512.awsdns-00.net"]
# A second public zone, for external-lookups (errored-plan looks for corp.example.com.,
# which still does not exist).
CORP_ZONE_ID = "Z05836431KQ2VD7ZHT6XM"
CORP_ZONE_NAME = "corp.example.net."
CORP_NS = ["ns-1283.awsdns-32.org", "ns-1853.awsdns-39.co.uk", "ns-420.awsdns-52.com", "ns-661.awsdns-18.net"]

ACCOUNT = "111122223333"
REGION = "eu-west-1"

# ---- external-lookups: pre-existing infrastructure in account 111122223333, eu-west-1
AZS = [("eu-west-1a", "euw1-az2"), ("eu-west-1b", "euw1-az3"), ("eu-west-1c", "euw1-az1")]
VPC = {
    "id": "vpc-0f1e2d3c4b5a69788",
    "cidr": "10.20.0.0/16",
    "assoc": "vpc-cidr-assoc-0e4d3c2b1a0f98765",
    "dhcp": "dopt-0a1b2c3d4e5f60718",
    "rtb": "rtb-0d9c8b7a6f5e43210",
    "rtbassoc": "rtbassoc-0a9b8c7d6e5f41302",
    "tags": {"Name": "shared-test", "Environment": "test", "ManagedBy": "terraform"},
}
SUBNETS = [  # id, az, az id, cidr
    ("subnet-0a3f6c1d2e4b58790", "eu-west-1a", "euw1-az2", "10.20.10.0/24"),
    ("subnet-0b8e2d4f6a1c37951", "eu-west-1b", "euw1-az3", "10.20.11.0/24"),
    ("subnet-0c5d7e9f1b3a24680", "eu-west-1c", "euw1-az1", "10.20.12.0/24"),
]
SECRET = {
    "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shared/test/app-db-Qx7mZ2",
    "Name": "shared/test/app-db",
    "VersionId": "c4a1e7b2-5d3f-4a8e-9b6c-2f1e0d9c8b7a",
    "SecretString": json.dumps({"username": "app_admin", "password": "not-a-real-password-9e3d1a"}, separators=(",", ":")),
    "VersionStages": ["AWSCURRENT"],
    "CreatedDate": 1718098452.123,
}
SSM_AMI = {
    "Name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "Type": "String",
    "Value": "ami-0d64bb532e0502c46",
    "Version": 97,
    "LastModifiedDate": 1731542400.512,
    "ARN": f"arn:aws:ssm:{REGION}::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "DataType": "aws:ec2:image",
}
CERT_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/9f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
CERT_DOMAIN = "*.corp.example.net"
# A throw-away certificate and issuer made for this mock (no private key kept anywhere).
CERT_PEM = """-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIQC54vQXzTWKYeBMJ3k1voEDANBgkqhkiG9w0BAQsFADBQ
MQswCQYDVQQGEwJVUzEbMBkGA1UECgwSRXhhbXBsZSBGaXh0dXJlIENBMSQwIgYD
VQQDDBtFeGFtcGxlIEZpeHR1cmUgQ0EgUlNBIDIwNDgwHhcNMjQxMDAxMDAwMDAw
WhcNMjUxMTAxMjM1OTU5WjAdMRswGQYDVQQDDBIqLmNvcnAuZXhhbXBsZS5uZXQw
ggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCyduLZQxxrd/99o3tt4XuV
HQa507vWA4IgVf8QQKpc4wSshc0RxPyU4wLmbfDnRm3eYdBqqhlIuUdV4NoUrZav
auOmmt9iEe3m3VgtTJR/fkE6yRrkGwZBYJSWbOwgaSsF4b+9gaYwUNdXEC/GUL7B
keQposI6lOEM19haVR2x4oxwgQ3ZNXr7kmK1hJUBdLSF7GfmosXtRLsrLX+Rs3H5
pqP0t0mKjr8dyfLL6J4BEDLEXB2PFYhe2L4lXcUY4cWVzfYe9xMgfrorQq7vDvsZ
VQLXVbxZ2Sp9A447hN/lr624iP7EXhBifVLDV5aRVBKaWE3w8y51QKi1oBYTH+N5
AgMBAAGjYDBeMC8GA1UdEQQoMCaCEiouY29ycC5leGFtcGxlLm5ldIIQY29ycC5l
eGFtcGxlLm5ldDAMBgNVHRMBAf8EAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggr
BgEFBQcDAjANBgkqhkiG9w0BAQsFAAOCAQEAOCjsTekwiSRqt+F4kx0JjV2K6YWi
ChiOVp7QanuYb1P81BZN+M0bqrtGKeb4ewAKpkY8p0IOpRkZK1IV3cN1GQ2rMvwx
2DyLrcpXuPqDGhdEAyL6NWpLaP4C5jJ7B3l8CDN73m8vYSQ3ff4Xw65NCr2uyesz
71Jb/gW1XIIw3G0vuyM7FbRauHTWyM2ILpmgivNJX+0tLeyfjG30mK0bH8PZUx3Q
SW3znMUhPuhwXcXnzMHs58nusqHZinkZeP4SF6Dxgrhud20S48TAQ3SEbzbWzSDr
R1lpVzYfkEH9Bs1hDH3ibnQqoDM4mUNq/lw8AAgzSuJldIZNC+FmMR3DRA==
-----END CERTIFICATE-----
"""
CERT_CHAIN_PEM = """-----BEGIN CERTIFICATE-----
MIIDOTCCAiGgAwIBAgIJBOHHqdKz9gWBMA0GCSqGSIb3DQEBCwUAMFAxCzAJBgNV
BAYTAlVTMRswGQYDVQQKDBJFeGFtcGxlIEZpeHR1cmUgQ0ExJDAiBgNVBAMMG0V4
YW1wbGUgRml4dHVyZSBDQSBSU0EgMjA0ODAeFw0yMjA4MjMwMDAwMDBaFw0zMDA4
MjMwMDAwMDBaMFAxCzAJBgNVBAYTAlVTMRswGQYDVQQKDBJFeGFtcGxlIEZpeHR1
cmUgQ0ExJDAiBgNVBAMMG0V4YW1wbGUgRml4dHVyZSBDQSBSU0EgMjA0ODCCASIw
DQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKynqe4XwyMKf0IEj0mhD2FPw8gt
oCUwdl7BcFrgN8AhFYjSkag0Uong4AnDczlbuwLpsxl3aTwrXNagc6QEa1z2iGHx
Ab9C3074j+Plu00tYej7VG37sLw9LhvogVbR1b2PMwTlhJBNDgMa+xEpZMQbDG1P
iYwgFzyNOV62UjWU6jHIUzK+t7w2PlAPGuLNtLiIWWh0qTFWV4ui69i2RLw49KvV
FWV1mLJYY56hMctpOpO8k12ufCNMMhyXRVHnHo/yWEjQyVCAWaCpRzi93ofc9jFp
Lw7RxOzxqp2irafqjuOkKHkT7EIgusz/XZBaqlk6YNOehfXc1QWPzcFB1EsCAwEA
AaMWMBQwEgYDVR0TAQH/BAgwBgEB/wIBADANBgkqhkiG9w0BAQsFAAOCAQEAhuXZ
p7pPHG4icxNmV1SYRUBqm3Us8F61B7yeVG/C20zp0lmd1m0fxACBsOAfdgdjwNFx
ygMczAZYRZW2DkUESjBjhZBCBTR5G+cUJHSi/Em3nYbcjY6wJWgH2LptiGbHfoDo
4YM6RIK17KWeEDCHWx+OXEaX2RJhbvvNrGNbTp2IetubNL5E1biDZivP7KsNNcFd
DBm4hsDyaCfljuDRYAHdD57nNIQbS584K5hVeGuAohj5DzEbMme1VKMwMtw0uzFr
SgHSyTy8fEr+98xkgotw0mZLKMo9d9t8Vc3qFFjl9sxEVTlJV7/W35ytzgaVj0X9
C69cLwDm+JyKniV+PQ==
-----END CERTIFICATE-----
"""
KMS_KEY_ID = "7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
KMS_ALIASES = [  # name, target key id
    ("alias/aws/rds", "0e2b6f1d-93a4-4c7b-b5e8-6d1f2a3c4b5e"),
    ("alias/aws/s3", "3a9d8c7b-6e5f-4d3c-a2b1-0f9e8d7c6b5a"),
    ("alias/shared-test", KMS_KEY_ID),
]
ROLE = {
    "name": "deployer",
    "id": "AROAYQZ3EXAMPLE7DEPLY",
    "arn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
    "trust": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}, separators=(",", ":")),
}


def zone_xml(zone_id=ZONE_ID, name=ZONE_NAME, caller="terraform-20240611093412345600000001", count=14):
    return f"""<HostedZone><Id>/hostedzone/{zone_id}</Id><Name>{name}</Name><CallerReference>{caller}</CallerReference><Config><Comment>Managed by Terraform</Comment><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>{count}</ResourceRecordSetCount></HostedZone>"""


def corp_zone_xml():
    return zone_xml(CORP_ZONE_ID, CORP_ZONE_NAME, "terraform-20230905141522871300000001", 37)


def delegation_xml(ns=NS):
    return "<DelegationSet><NameServers>" + "".join(f"<NameServer>{n}</NameServer>" for n in ns) + "</NameServers></DelegationSet>"


EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
REQ_ID = "5d8e3a1c-7f7b-4b8e-9a0e-1c2d3e4f5a6b"


def ec2_filters(q):
    """Filter.N.Name / Filter.N.Value.M of an EC2 query, as {name: [values]}."""
    out = {}
    for k, v in q.items():
        m = re.fullmatch(r"Filter\.(\d+)\.Name", k)
        if m:
            n = m.group(1)
            out[v[0]] = [q[x][0] for x in sorted((x for x in q if x.startswith(f"Filter.{n}.Value.")), key=lambda x: int(x.rsplit(".", 1)[1]))]
    return out


def tag_set(tags):
    return "<tagSet>" + "".join(f"<item><key>{k}</key><value>{v}</value></item>" for k, v in tags.items()) + "</tagSet>"


def vpc_xml():
    return (f"<item><vpcId>{VPC['id']}</vpcId><ownerId>{ACCOUNT}</ownerId><state>available</state><cidrBlock>{VPC['cidr']}</cidrBlock>"
            f"<cidrBlockAssociationSet><item><cidrBlock>{VPC['cidr']}</cidrBlock><associationId>{VPC['assoc']}</associationId><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet>"
            f"<ipv6CidrBlockAssociationSet/><dhcpOptionsId>{VPC['dhcp']}</dhcpOptionsId>{tag_set(VPC['tags'])}<instanceTenancy>default</instanceTenancy><isDefault>false</isDefault></item>")


def subnet_xml(sid, az, azid, cidr):
    tags = {"Name": f"shared-test-private-{az[-1]}", "Tier": "private", "Environment": "test"}
    return (f"<item><subnetId>{sid}</subnetId><subnetArn>arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}</subnetArn><state>available</state><ownerId>{ACCOUNT}</ownerId>"
            f"<vpcId>{VPC['id']}</vpcId><cidrBlock>{cidr}</cidrBlock><ipv6CidrBlockAssociationSet/><availableIpAddressCount>251</availableIpAddressCount>"
            f"<availabilityZone>{az}</availabilityZone><availabilityZoneId>{azid}</availabilityZoneId><defaultForAz>false</defaultForAz><mapPublicIpOnLaunch>false</mapPublicIpOnLaunch>"
            f"<mapCustomerOwnedIpOnLaunch>false</mapCustomerOwnedIpOnLaunch><assignIpv6AddressOnCreation>false</assignIpv6AddressOnCreation><enableDns64>false</enableDns64><ipv6Native>false</ipv6Native>"
            f"<privateDnsNameOptionsOnLaunch><hostnameType>ip-name</hostnameType><enableResourceNameDnsARecord>false</enableResourceNameDnsARecord><enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord></privateDnsNameOptionsOnLaunch>"
            f"{tag_set(tags)}</item>")


class H(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body, ctype="text/xml", headers=()):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "5d8e3a1c-7f7b-4b8e-9a0e-1c2d3e4f5a6b")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _log(self, body):
        target = self.headers.get("X-Amz-Target")
        extra = f" [{target}]" if target else ""
        sys.stderr.write(f"{self.command} {self.path}{extra} {body[:200]!r}\n")

    def _json(self, code, obj, ctype="application/x-amz-json-1.1"):
        return self._send(code, json.dumps(obj), ctype)

    def _json_error(self, code, type_, message, ctype="application/x-amz-json-1.1"):
        return self._send(code, json.dumps({"__type": type_, "message": message}), ctype, [("x-amzn-ErrorType", type_)])

    def do_GET(self):
        self._log("")
        p = urllib.parse.urlparse(self.path)
        ns = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"'
        if p.path == f"/2013-04-01/hostedzone/{ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><GetHostedZoneResponse {ns}>{zone_xml()}{delegation_xml()}</GetHostedZoneResponse>')
        if p.path == f"/2013-04-01/hostedzone/{CORP_ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><GetHostedZoneResponse {ns}>{corp_zone_xml()}{delegation_xml(CORP_NS)}</GetHostedZoneResponse>')
        if p.path == "/2013-04-01/hostedzone":
            return self._send(200, f'<?xml version="1.0"?><ListHostedZonesResponse {ns}><HostedZones>{zone_xml()}{corp_zone_xml()}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>')
        if p.path == "/2013-04-01/hostedzonesbyname":
            return self._send(200, f'<?xml version="1.0"?><ListHostedZonesByNameResponse {ns}><HostedZones>{zone_xml()}{corp_zone_xml()}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>')
        if p.path == f"/2013-04-01/tags/hostedzone/{ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><ListTagsForResourceResponse {ns}><ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>{ZONE_ID}</ResourceId><Tags><Tag><Key>Environment</Key><Value>shared</Value></Tag></Tags></ResourceTagSet></ListTagsForResourceResponse>')
        if p.path == f"/2013-04-01/tags/hostedzone/{CORP_ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><ListTagsForResourceResponse {ns}><ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>{CORP_ZONE_ID}</ResourceId><Tags><Tag><Key>Environment</Key><Value>shared</Value></Tag><Tag><Key>Owner</Key><Value>network-team</Value></Tag></Tags></ResourceTagSet></ListTagsForResourceResponse>')
        m = re.fullmatch(r"/2021-01-01/opensearch/compatibleVersions", p.path)
        if m:
            # GetCompatibleVersions for a domain that does not exist yet (the provider
            # ignores the error while planning a create).
            domain = urllib.parse.parse_qs(p.query).get("domainName", [""])[0]
            return self._send(409, json.dumps({"message": f"Domain not found: {domain}"}), "application/json", [("x-amzn-ErrorType", "ResourceNotFoundException")])
        return self._send(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>mock: unsupported</Message></Error></ErrorResponse>")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        self._log(body)
        target = self.headers.get("X-Amz-Target")
        if target:
            return self._json_call(target, json.loads(body or "{}"))
        q = urllib.parse.parse_qs(body)
        action = q.get("Action", [""])[0]
        if action == "GetCallerIdentity":
            m = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
            key = m.group(1) if m else ""
            acct = ACCOUNTS.get(key, "111122223333")
            return self._send(200, f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{acct}:user/terraform-ci</Arn><UserId>AIDAJQABLZS4A3QDU576Q</UserId><Account>{acct}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>')
        if action.startswith("Describe") and q.get("Version", [""])[0] == "2016-11-15":
            return self._ec2(action, q)
        if action == "GetRole":
            return self._iam_get_role(q.get("RoleName", [""])[0])
        return self._send(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>mock: unsupported</Message></Error></ErrorResponse>")

    # ---- EC2 (query protocol, XML answers)
    def _ec2(self, action, q):
        f = ec2_filters(q)
        if action == "DescribeAvailabilityZones":
            items = "".join(
                f"<item><zoneState>available</zoneState><optInStatus>opt-in-not-required</optInStatus><messageSet/><regionName>{REGION}</regionName><zoneName>{z}</zoneName><zoneId>{zid}</zoneId><groupName>{REGION}</groupName><networkBorderGroup>{REGION}</networkBorderGroup><zoneType>availability-zone</zoneType></item>"
                for z, zid in AZS)
            return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><DescribeAvailabilityZonesResponse {EC2_NS}><requestId>{REQ_ID}</requestId><availabilityZoneInfo>{items}</availabilityZoneInfo></DescribeAvailabilityZonesResponse>')
        if action == "DescribeVpcs":
            ids = [v[0] for k, v in q.items() if k.startswith("VpcId.")] + f.get("vpc-id", [])
            match = (not ids or VPC["id"] in ids) and all(
                VPC["tags"].get(k[4:]) in v for k, v in f.items() if k.startswith("tag:"))
            return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><DescribeVpcsResponse {EC2_NS}><requestId>{REQ_ID}</requestId><vpcSet>{vpc_xml() if match else ""}</vpcSet></DescribeVpcsResponse>')
        if action == "DescribeVpcAttribute":
            attr = q.get("Attribute", [""])[0]
            value = {"enableDnsHostnames": "true", "enableDnsSupport": "true", "enableNetworkAddressUsageMetrics": "false"}.get(attr, "false")
            return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><DescribeVpcAttributeResponse {EC2_NS}><requestId>{REQ_ID}</requestId><vpcId>{VPC["id"]}</vpcId><{attr}><value>{value}</value></{attr}></DescribeVpcAttributeResponse>')
        if action == "DescribeSubnets":
            match = VPC["id"] in f.get("vpc-id", [VPC["id"]]) and "private" in f.get("tag:Tier", ["private"])
            items = "".join(subnet_xml(*s) for s in SUBNETS) if match else ""
            return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><DescribeSubnetsResponse {EC2_NS}><requestId>{REQ_ID}</requestId><subnetSet>{items}</subnetSet></DescribeSubnetsResponse>')
        if action == "DescribeRouteTables":
            # Only the main route table of the shared VPC (aws_vpc reads main_route_table_id).
            match = VPC["id"] in f.get("vpc-id", [VPC["id"]]) and f.get("association.main", ["true"]) == ["true"]
            item = (f"<item><routeTableId>{VPC['rtb']}</routeTableId><vpcId>{VPC['id']}</vpcId><ownerId>{ACCOUNT}</ownerId>"
                    f"<routeSet><item><destinationCidrBlock>{VPC['cidr']}</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item></routeSet>"
                    f"<associationSet><item><routeTableAssociationId>{VPC['rtbassoc']}</routeTableAssociationId><routeTableId>{VPC['rtb']}</routeTableId><main>true</main><associationState><state>associated</state></associationState></item></associationSet>"
                    f"<propagatingVgwSet/><tagSet/></item>")
            return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><DescribeRouteTablesResponse {EC2_NS}><requestId>{REQ_ID}</requestId><routeTableSet>{item if match else ""}</routeTableSet></DescribeRouteTablesResponse>')
        return self._send(400, f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidAction</Code><Message>mock: unsupported {action}</Message></Error></Errors><RequestID>{REQ_ID}</RequestID></Response>')

    # ---- IAM (query protocol, XML answers)
    def _iam_get_role(self, name):
        ns = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'
        if name != ROLE["name"]:
            return self._send(404, f'<ErrorResponse {ns}><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name {name} cannot be found.</Message></Error><RequestId>{REQ_ID}</RequestId></ErrorResponse>')
        doc = urllib.parse.quote(ROLE["trust"], safe="")
        return self._send(200, f'<GetRoleResponse {ns}><GetRoleResult><Role><Path>/</Path><AssumeRolePolicyDocument>{doc}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>{ROLE["id"]}</RoleId><RoleLastUsed><LastUsedDate>2024-11-18T07:42:11Z</LastUsedDate><Region>{REGION}</Region></RoleLastUsed><RoleName>{name}</RoleName><Description>Assumed by the CI pipeline to deploy applications</Description><Arn>{ROLE["arn"]}</Arn><CreateDate>2023-02-14T10:21:37Z</CreateDate><Tags><member><Key>ManagedBy</Key><Value>terraform</Value></member><member><Key>Owner</Key><Value>platform-team</Value></member></Tags></Role></GetRoleResult><ResponseMetadata><RequestId>{REQ_ID}</RequestId></ResponseMetadata></GetRoleResponse>')

    # ---- JSON 1.1 services (X-Amz-Target)
    def _json_call(self, target, req):
        if target == "secretsmanager.GetSecretValue":
            sid = req.get("SecretId", "")
            if sid not in (SECRET["Name"], SECRET["ARN"]):
                return self._json_error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
            return self._json(200, SECRET)
        if target == "AmazonSSM.GetParameter":
            if req.get("Name") not in (SSM_AMI["Name"], SSM_AMI["ARN"]):
                return self._json_error(400, "ParameterNotFound", "")
            return self._json(200, {"Parameter": SSM_AMI})
        if target == "CertificateManager.ListCertificates":
            return self._json(200, {"CertificateSummaryList": [{
                "CertificateArn": CERT_ARN, "DomainName": CERT_DOMAIN,
                "SubjectAlternativeNameSummaries": [CERT_DOMAIN, "corp.example.net"],
                "HasAdditionalSubjectAlternativeNames": False, "Status": "ISSUED", "Type": "AMAZON_ISSUED",
                "KeyAlgorithm": "RSA-2048", "KeyUsages": ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"],
                "ExtendedKeyUsages": ["TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION"],
                "InUse": True, "RenewalEligibility": "ELIGIBLE", "NotBefore": 1727740800.0, "NotAfter": 1762041599.0,
                "CreatedAt": 1727784012.0, "IssuedAt": 1727784215.0}]})
        if target == "CertificateManager.DescribeCertificate":
            if req.get("CertificateArn") != CERT_ARN:
                return self._json_error(400, "ResourceNotFoundException", f"Could not find certificate {req.get('CertificateArn')}.")
            return self._json(200, {"Certificate": {
                "CertificateArn": CERT_ARN, "DomainName": CERT_DOMAIN,
                "SubjectAlternativeNames": [CERT_DOMAIN, "corp.example.net"],
                "DomainValidationOptions": [{
                    "DomainName": d, "ValidationDomain": d, "ValidationStatus": "SUCCESS", "ValidationMethod": "DNS",
                    "ResourceRecord": {"Name": "_3f8a1c2e9b7d4f6a0c1e2d3b4a5f6e7d.corp.example.net.", "Type": "CNAME",
                                       "Value": "_9c2e4b6a8d0f1e3c5a7b9d1f3e5c7a9b.zfyfvmchrl.acm-validations.aws."}}
                    for d in (CERT_DOMAIN, "corp.example.net")],
                "Serial": "0b:9e:2f:41:7c:d3:58:a6:1e:04:c2:77:93:5b:e8:10", "Subject": "CN=*.corp.example.net",
                "Issuer": "Amazon", "CreatedAt": 1727784012.0, "IssuedAt": 1727784215.0, "Status": "ISSUED",
                "NotBefore": 1727740800.0, "NotAfter": 1762041599.0, "KeyAlgorithm": "RSA-2048",
                "SignatureAlgorithm": "SHA256WITHRSA", "InUseBy": [], "Type": "AMAZON_ISSUED",
                "KeyUsages": [{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}],
                "ExtendedKeyUsages": [{"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"},
                                      {"Name": "TLS_WEB_CLIENT_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.2"}],
                "RenewalEligibility": "ELIGIBLE", "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"}}})
        if target == "CertificateManager.GetCertificate":
            if req.get("CertificateArn") != CERT_ARN:
                return self._json_error(400, "ResourceNotFoundException", f"Could not find certificate {req.get('CertificateArn')}.")
            return self._json(200, {"Certificate": CERT_PEM, "CertificateChain": CERT_CHAIN_PEM})
        if target == "CertificateManager.ListTagsForCertificate":
            return self._json(200, {"Tags": [{"Key": "Environment", "Value": "shared"}, {"Key": "Owner", "Value": "network-team"}]})
        if target == "TrentService.ListAliases":
            return self._json(200, {"Aliases": [{
                "AliasName": a, "AliasArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:{a}", "TargetKeyId": k,
                "CreationDate": 1676370097.0, "LastUpdatedDate": 1676370097.0} for a, k in KMS_ALIASES], "Truncated": False})
        if target == "TrentService.DescribeKey":
            kid = req.get("KeyId", "")
            if kid not in (KMS_KEY_ID, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KMS_KEY_ID}", "alias/shared-test"):
                return self._json_error(400, "NotFoundException", f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{kid}' does not exist")
            return self._json(200, {"KeyMetadata": {
                "AWSAccountId": ACCOUNT, "KeyId": KMS_KEY_ID, "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KMS_KEY_ID}",
                "CreationDate": 1676370096.0, "Enabled": True, "Description": "Shared data key (test)",
                "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER",
                "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "KeySpec": "SYMMETRIC_DEFAULT",
                "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "MultiRegion": False}})
        return self._json_error(400, "UnknownOperationException", f"mock: unsupported {target}")


HTTPServer(("127.0.0.1", PORT), H).serve_forever()
