// Test fixture: a browser that sends Global Privacy Control (Chromium has no switch for it).
Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true, configurable: true });
