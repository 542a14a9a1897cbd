return Praxis.Cli.PraxisCli.Run(args, Praxis.Cli.CliContext.FromProcess());
