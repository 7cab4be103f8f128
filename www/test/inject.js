// Test fixture: inserts the loader as a tag manager's injectScript does, with no attributes.
const loader = document.createElement("script");
loader.src = document.currentScript.dataset.loader;
document.head.appendChild(loader);
