// A stand-in for Google Analytics on the demo page: held back by the widget until the analytics
// purpose has consent. It counts its runs, sets GA-style cookies and pushes an event, so the
// tests can see whether and when it ran.
(() => {
  window.vpDemoAnalyticsRuns = (window.vpDemoAnalyticsRuns || 0) + 1;
  document.cookie = "_ga=GA1.1.123456789.1700000000; Path=/; Max-Age=63072000; SameSite=Lax";
  document.cookie = "_ga_DEMO123=GS1.1.1700000000.1.0.1700000000.0.0.0; Path=/; Max-Age=63072000; SameSite=Lax";
  document.cookie = "_gid=GA1.1.987654321.1700000000; Path=/; Max-Age=86400; SameSite=Lax";
  window.dataLayer = window.dataLayer || [];
  window.dataLayer.push({ event: "demo_analytics_loaded" });
})();
