from reminders.cli import main

# Guarded: a scan's worker processes are spawned, and each imports the main module.
if __name__ == "__main__":
    main()
