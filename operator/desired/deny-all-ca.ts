// A CA certificate whose private key was discarded the moment it was made (openssl req -x509
// -keyout /dev/null). nginx refuses an empty ssl_client_certificate, so a config that trusts
// nobody (AllowNone, or no accepted peer) publishes this one: the ingress stays valid and no
// client certificate can ever verify against it.
export const DENY_ALL_CA_PEM = `-----BEGIN CERTIFICATE-----
MIICEDCCAbegAwIBAgIUOuOc+dCU549a1cWEaJCJq+jXAnkwCgYIKoZIzj0EAwIw
VTEhMB8GA1UECgwYd2lyZS1mZWRlcmF0aW9uLW9wZXJhdG9yMTAwLgYDVQQDDCdk
ZW55LWFsbCBwbGFjZWhvbGRlciBDQSAtIGtleSBkaXNjYXJkZWQwIBcNMjYxMTI2
MDUxMzMxWhgPMjEyNjExMDIwNTEzMzFaMFUxITAfBgNVBAoMGHdpcmUtZmVkZXJh
dGlvbi1vcGVyYXRvcjEwMC4GA1UEAwwnZGVueS1hbGwgcGxhY2Vob2xkZXIgQ0Eg
LSBrZXkgZGlzY2FyZGVkMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/KkEud9g
m84GhJorOBZuLOiDjfOoNtfMSgJHQlqjnp/ibaeUCdjYfexhzdsHOhGvT268Szq3
zypR2QjBHUgf3KNjMGEwHQYDVR0OBBYEFKXY84O+EwEpsoLZi2OCkNfSJL58MB8G
A1UdIwQYMBaAFKXY84O+EwEpsoLZi2OCkNfSJL58MA8GA1UdEwEB/wQFMAMBAf8w
DgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0cAMEQCIGLkr08AQYpqChpdDKqo
HsHPbDSYsV44ROc2gbvuQtyyAiA/+oo5LlJwNl1jT3QWZKdVG5M7l4FIYAcKXb89
n/ETBw==
-----END CERTIFICATE-----
`;
