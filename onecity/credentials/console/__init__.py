"""The issuer console's pages (签发机构控制台: `/console/credentials…`), a subpackage so that app
discovery (leaf name `pages`) finds them beside the wallet's and the verifier's pages."""
