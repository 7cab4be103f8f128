// Records every Content Security Policy violation on the demo page, so the browser tests can
// prove the widget works under the strict policy without breaking it.
window.vpCspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.vpCspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
