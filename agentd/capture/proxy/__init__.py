"""The embedded mitmproxy: the addon, the server it runs in, and the CA. The only importer of mitmproxy."""
