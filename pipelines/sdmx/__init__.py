"""The SDMX 2.1 REST API over the published data (DESIGN.md section 11), served by `mnr portal` under /sdmx/rest/."""
