"""Operating Fupin: `/metrics`, `/readyz`, backups and restores (docs/operations.md). A shell
package beside ``fupin.site``: it may call every area."""
