#!/usr/bin/env python3
"""Tiny loopback stand-in for the few AWS API calls the AWS provider makes
while planning these fixtures: STS GetCallerIdentity (the account depends on
the access key) and Route 53 hosted-zone look-ups. Listens on 127.0.0.1 only
and logs every request to stderr. Used by regen.sh; not part of plangate."""
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


def zone_xml():
    return f"""<HostedZone><Id>/hostedzone/{ZONE_ID}</Id><Name>{ZONE_NAME}</Name><CallerReference>terraform-20240611093412345600000001</CallerReference><Config><Comment>Managed by Terraform</Comment><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>14</ResourceRecordSetCount></HostedZone>"""


def delegation_xml():
    return "<DelegationSet><NameServers>" + "".join(f"<NameServer>{n}</NameServer>" for n in NS) + "</NameServers></DelegationSet>"


class H(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body, ctype="text/xml"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "5d8e3a1c-7f7b-4b8e-9a0e-1c2d3e4f5a6b")
        self.end_headers()
        self.wfile.write(data)

    def _log(self, body):
        sys.stderr.write(f"{self.command} {self.path} {body[:200]!r}\n")

    def do_GET(self):
        self._log("")
        p = urllib.parse.urlparse(self.path)
        ns = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"'
        if p.path == f"/2013-04-01/hostedzone/{ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><GetHostedZoneResponse {ns}>{zone_xml()}{delegation_xml()}</GetHostedZoneResponse>')
        if p.path == "/2013-04-01/hostedzone":
            return self._send(200, f'<?xml version="1.0"?><ListHostedZonesResponse {ns}><HostedZones>{zone_xml()}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>')
        if p.path == "/2013-04-01/hostedzonesbyname":
            return self._send(200, f'<?xml version="1.0"?><ListHostedZonesByNameResponse {ns}><HostedZones>{zone_xml()}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>')
        if p.path == f"/2013-04-01/tags/hostedzone/{ZONE_ID}":
            return self._send(200, f'<?xml version="1.0"?><ListTagsForResourceResponse {ns}><ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>{ZONE_ID}</ResourceId><Tags><Tag><Key>Environment</Key><Value>shared</Value></Tag></Tags></ResourceTagSet></ListTagsForResourceResponse>')
        return self._send(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>mock: unsupported</Message></Error></ErrorResponse>")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        self._log(body)
        q = urllib.parse.parse_qs(body)
        action = q.get("Action", [""])[0]
        if action == "GetCallerIdentity":
            m = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
            key = m.group(1) if m else ""
            acct = ACCOUNTS.get(key, "111122223333")
            return self._send(200, f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{acct}:user/terraform-ci</Arn><UserId>AIDAJQABLZS4A3QDU576Q</UserId><Account>{acct}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>')
        return self._send(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>mock: unsupported</Message></Error></ErrorResponse>")


HTTPServer(("127.0.0.1", PORT), H).serve_forever()
