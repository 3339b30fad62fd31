/* Fixture for tools/depgraph.py (never compiled): domain.c calls frame.c. */
void domain_put_ref(void)
{
    frame_free_one();
}
