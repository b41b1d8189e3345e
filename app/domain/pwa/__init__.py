"""The installable app: its manifest, its service worker, and the page shown offline."""
