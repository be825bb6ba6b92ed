// Renders the served OpenAPI document with the embedded Redoc bundle.
Redoc.init("/openapi.json", { hideDownloadButton: false, expandResponses: "200,201,202" }, document.getElementById("redoc"));
