"""Server-rendered HTML handlers, one module per area. Handlers parse, call one domain
function, render; business rules live in fupin.domain."""
