"""The SDMX 2.1 REST API over the published, disclosure-controlled observations (DESIGN.md section 11).

Plain modules, testable without a web server: `structure` (the dataflow, data structure, concept scheme and code
lists, built from the seeds), `query` (REST paths and parameters as SDMX writes them), `data` (the data messages,
written as a stream from the published layer) and `errors` (SDMX error messages). `views` and `urls` put them on
the portal's web server under /sdmx/rest/.
"""
