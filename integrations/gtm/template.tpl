___TERMS_OF_SERVICE___

By creating or modifying this file you agree to Google Tag Manager's Community
Template Gallery Developer Terms of Service available at
https://developers.google.com/tag-manager/gallery-tos (or such other URL as
Google may provide), as modified from time to time.


___INFO___

{
  "type": "TAG",
  "id": "cvt_temp_public_id",
  "version": 1,
  "securityGroups": [],
  "displayName": "Virtio Privacy",
  "categories": ["UTILITY"],
  "brand": {
    "id": "virtio_privacy",
    "displayName": "Virtio Privacy"
  },
  "description": "Loads the Virtio Privacy consent widget and keeps Google Consent Mode v2 in step with the visitor's choice: everything optional denied until a choice, then updated on every change.",
  "containerContexts": ["WEB"]
}


___TEMPLATE_PARAMETERS___

[
  {
    "type": "TEXT",
    "name": "privacyHost",
    "displayName": "Privacy server (origin)",
    "simpleValueType": true,
    "help": "Where the widget is served from, such as https://privacy.virtio.nl (no trailing slash).",
    "valueValidators": [
      { "type": "NON_EMPTY" },
      { "type": "REGEX", "args": ["^https://[A-Za-z0-9.-]+(:[0-9]+)?$"] }
    ]
  },
  {
    "type": "TEXT",
    "name": "site",
    "displayName": "Site id",
    "simpleValueType": true,
    "help": "The id of this site in the privacy server's settings, such as virtio-nl.",
    "valueValidators": [
      { "type": "NON_EMPTY" },
      { "type": "REGEX", "args": ["^[a-z0-9-]+$"] }
    ]
  },
  {
    "type": "SELECT",
    "name": "lang",
    "displayName": "Language",
    "selectItems": [
      { "value": "", "displayValue": "The page's (lang attribute, else the browser's)" },
      { "value": "nl", "displayValue": "Nederlands" },
      { "value": "en", "displayValue": "English" }
    ],
    "simpleValueType": true,
    "defaultValue": ""
  },
  {
    "type": "TEXT",
    "name": "waitForUpdate",
    "displayName": "Wait for the visitor's choice (ms)",
    "simpleValueType": true,
    "defaultValue": "500",
    "valueValidators": [{ "type": "NON_NEGATIVE_NUMBER" }]
  }
]


___SANDBOXED_JS_FOR_WEB_TEMPLATE___

// Fire this tag on "Consent Initialization - All Pages". It sets Consent Mode's defaults (every
// optional signal denied until the visitor chooses), loads the widget, and updates Consent Mode
// with the stored choice and with every change the visitor makes.
const setDefaultConsentState = require('setDefaultConsentState');
const updateConsentState = require('updateConsentState');
const injectScript = require('injectScript');
const callInWindow = require('callInWindow');
const encodeUriComponent = require('encodeUriComponent');
const makeNumber = require('makeNumber');

// BEGIN SIGNALS: the widget's table (privacy_shared::PurposeId::consent_mode_signals), checked by
// shared/tests/gtm_template.rs: [purpose, always granted, Consent Mode signals].
const SIGNALS = [["necessary",true,["functionality_storage","security_storage"]],["analytics",false,["analytics_storage"]],["advertising",false,["ad_storage","ad_user_data","ad_personalization"]]];
// END SIGNALS

// The Consent Mode state of a choice ({purpose: granted}, or null before any choice).
const stateOf = (choices) => {
  const state = {};
  SIGNALS.forEach((entry) => {
    const granted = entry[1] || (!!choices && choices[entry[0]] === true);
    entry[2].forEach((signal) => {
      state[signal] = granted ? 'granted' : 'denied';
    });
  });
  return state;
};

const defaults = stateOf(null);
defaults.wait_for_update = makeNumber(data.waitForUpdate || 500);
setDefaultConsentState(defaults);

const follow = () => {
  const choices = callInWindow('VirtioPrivacy.consent');
  if (choices) {
    updateConsentState(stateOf(choices));
  }
};

const url = data.privacyHost + '/widget/v1/loader.js?site=' + encodeUriComponent(data.site) +
  (data.lang ? '&lang=' + encodeUriComponent(data.lang) : '');
injectScript(url, () => {
  follow();
  callInWindow('VirtioPrivacy.on', 'consent', follow);
  callInWindow('VirtioPrivacy.on', 'change', follow);
  data.gtmOnSuccess();
}, data.gtmOnFailure, 'virtio-privacy');


___WEB_PERMISSIONS___

[
  {
    "instance": {
      "key": { "publicId": "access_consent", "versionId": "1" },
      "param": [
        {
          "key": "consentTypes",
          "value": {
            "type": 2,
            "listItem": [
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "functionality_storage" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "security_storage" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "analytics_storage" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "ad_storage" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "ad_user_data" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "consentType" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }], "mapValue": [{ "type": 1, "string": "ad_personalization" }, { "type": 8, "boolean": true }, { "type": 8, "boolean": true }] }
            ]
          }
        }
      ]
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": { "publicId": "inject_script", "versionId": "1" },
      "param": [
        { "key": "urls", "value": { "type": 2, "listItem": [{ "type": 1, "string": "https://*/widget/v1/loader.js*" }] } }
      ]
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": { "publicId": "access_globals", "versionId": "1" },
      "param": [
        {
          "key": "keys",
          "value": {
            "type": 2,
            "listItem": [
              { "type": 3, "mapKey": [{ "type": 1, "string": "key" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }, { "type": 1, "string": "execute" }], "mapValue": [{ "type": 1, "string": "VirtioPrivacy.consent" }, { "type": 8, "boolean": false }, { "type": 8, "boolean": false }, { "type": 8, "boolean": true }] },
              { "type": 3, "mapKey": [{ "type": 1, "string": "key" }, { "type": 1, "string": "read" }, { "type": 1, "string": "write" }, { "type": 1, "string": "execute" }], "mapValue": [{ "type": 1, "string": "VirtioPrivacy.on" }, { "type": 8, "boolean": false }, { "type": 8, "boolean": false }, { "type": 8, "boolean": true }] }
            ]
          }
        }
      ]
    },
    "isRequired": true
  }
]


___TESTS___

scenarios: []


___NOTES___

The sandboxed code is run by shared/tests/gtm_template.rs in Node.js with Tag Manager's APIs
stood in for, and its purpose table is compared with the widget's own.
