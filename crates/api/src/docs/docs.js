// Starts Swagger UI on this service's spec. Served from the binary: the CSP of /docs
// allows no inline script. No validator badge (it would call validator.swagger.io).
(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  window.ui = window.SwaggerUIBundle({
    url: new URL(root.getAttribute('data-spec'), window.location.href).toString(),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    displayRequestDuration: true
  });
}());
