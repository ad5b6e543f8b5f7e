package migrations

// Files are the migrations, for the tests that replay one.
var Files = files
