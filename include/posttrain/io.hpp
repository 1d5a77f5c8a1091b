#pragma once
// Readers for the command-line tools and data pipelines: CSV/TSV and JSON Lines.
#include "io/csv.hpp"
#include "io/json.hpp"
